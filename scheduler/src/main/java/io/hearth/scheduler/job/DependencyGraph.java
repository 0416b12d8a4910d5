package io.hearth.scheduler.job;

import java.util.ArrayList;
import java.util.List;

/**
 * The order in which the specs of one SubmitJobs batch must be accepted so that every spec that
 * names another spec of the batch as its parent comes after it, or the cycle that makes that
 * impossible. Parents outside the batch (jobs accepted earlier) cannot close a cycle: they existed
 * before any spec of the batch, so only edges within the batch matter. Pure and stateless.
 */
public final class DependencyGraph {

  private DependencyGraph() {}

  /**
   * A topological order of the specs, or the first cycle found: the spec and dependency index where
   * it closes and the request ids along it, starting and ending at the same one.
   */
  public record Order(int[] order, int spec, int dependency, List<String> cycle) {
    public boolean acyclic() {
      return cycle == null;
    }
  }

  /**
   * @param requestIds each spec's request id
   * @param parents per spec, per dependency: the index of the parent spec within the batch, or -1
   *     when the parent is outside the batch
   */
  public static Order order(List<String> requestIds, List<int[]> parents) {
    int n = requestIds.size();
    int[] color = new int[n]; // 0 unseen, 1 on the current path, 2 done
    int[] order = new int[n];
    int[] filled = {0};
    for (int start = 0; start < n; start++) {
      if (color[start] == 0) {
        Order cycle = visit(start, requestIds, parents, color, order, filled, new ArrayList<>());
        if (cycle != null) {
          return cycle;
        }
      }
    }
    return new Order(order, -1, -1, null);
  }

  /** Depth-first, parents before children; iterative over an explicit path so 1000 specs cannot overflow the stack. */
  private static Order visit(int start, List<String> ids, List<int[]> parents, int[] color, int[] order, int[] filled,
      List<int[]> path) {
    // Each frame: {spec, next dependency index}.
    path.add(new int[] {start, 0});
    color[start] = 1;
    while (!path.isEmpty()) {
      int[] frame = path.get(path.size() - 1);
      int spec = frame[0];
      int[] deps = parents.get(spec);
      if (frame[1] == deps.length) {
        color[spec] = 2;
        order[filled[0]++] = spec;
        path.remove(path.size() - 1);
        continue;
      }
      int dep = frame[1]++;
      int parent = deps[dep];
      if (parent < 0 || color[parent] == 2) {
        continue;
      }
      if (color[parent] == 1) {
        List<String> cycle = new ArrayList<>();
        int from = 0;
        while (path.get(from)[0] != parent) {
          from++;
        }
        for (int i = from; i < path.size(); i++) {
          cycle.add(ids.get(path.get(i)[0]));
        }
        cycle.add(ids.get(parent));
        return new Order(null, spec, dep, cycle);
      }
      color[parent] = 1;
      path.add(new int[] {parent, 0});
    }
    return null;
  }
}
