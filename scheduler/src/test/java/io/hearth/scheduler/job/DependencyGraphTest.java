package io.hearth.scheduler.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DependencyGraphTest {

  @Test
  void ordersParentsBeforeChildrenWhateverTheListing() {
    // aggregate -> stage -> prepare, listed children first; "ext" depends on a job outside the batch.
    DependencyGraph.Order o = DependencyGraph.order(List.of("aggregate", "stage", "prepare", "ext"),
        List.of(new int[] {1}, new int[] {2}, new int[] {}, new int[] {-1}));
    assertThat(o.acyclic()).isTrue();
    List<Integer> order = new ArrayList<>();
    for (int i : o.order()) {
      order.add(i);
    }
    assertThat(order).containsExactlyInAnyOrder(0, 1, 2, 3);
    assertThat(order.indexOf(2)).isLessThan(order.indexOf(1));
    assertThat(order.indexOf(1)).isLessThan(order.indexOf(0));
  }

  @Test
  void namesTheCycleFromTheParentItRefersTo() {
    DependencyGraph.Order o = DependencyGraph.order(List.of("free", "x", "y"),
        List.of(new int[] {}, new int[] {0, 2}, new int[] {1}));
    assertThat(o.acyclic()).isFalse();
    assertThat(o.cycle()).hasSize(3);
    assertThat(o.cycle().get(0)).isEqualTo(o.cycle().get(2));
    assertThat(o.cycle()).containsOnly("x", "y");
    // The refusal points at the dependency that closes the cycle; its parent opens the path.
    assertThat(List.of("free", "x", "y").get(new int[][] {{}, {0, 2}, {1}}[o.spec()][o.dependency()]))
        .isEqualTo(o.cycle().get(0));
  }

  @Test
  void findsALongCycleWithoutDeepRecursion() {
    int n = 1000;
    List<String> ids = new ArrayList<>();
    List<int[]> parents = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add("s" + i);
      parents.add(new int[] {(i + 1) % n});
    }
    DependencyGraph.Order o = DependencyGraph.order(ids, parents);
    assertThat(o.acyclic()).isFalse();
    assertThat(o.cycle()).hasSize(n + 1);
  }

  @Test
  void aChainOfAThousandIsFine() {
    int n = 1000;
    List<String> ids = new ArrayList<>();
    List<int[]> parents = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add("s" + i);
      parents.add(i == 0 ? new int[] {} : new int[] {i - 1});
    }
    DependencyGraph.Order o = DependencyGraph.order(ids, parents);
    assertThat(o.acyclic()).isTrue();
    assertThat(o.order()[0]).isZero();
    assertThat(o.order()[n - 1]).isEqualTo(n - 1);
  }
}
