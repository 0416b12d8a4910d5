package io.hearth.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.regex.Pattern;

/**
 * The chart in helm/hearth rendered by Helm's own library (helm-java, no helm binary) with a values
 * scenario, and the manifests it renders parsed into the fabric8 Kubernetes model. Paths and the
 * project's image names come from the build (helm/pom.xml).
 */
final class Chart {

  static final String RELEASE = "hearth";
  static final String NAMESPACE = "heat";
  /** The Kubernetes version rendered for (the chart needs 1.27+ for gRPC probes). */
  static final String KUBE_VERSION = "1.30.0";
  static final Path DIR = Path.of(property("hearth.chart"));
  static final Path ROOT = Path.of(property("hearth.root"));
  static final String VERSION = property("hearth.version");
  static final String SCHEDULER_IMAGE = property("hearth.scheduler.image");
  static final String WORKER_IMAGE = property("hearth.worker.image");

  private static final Pattern DOCUMENT_SEPARATOR = Pattern.compile("(?m)^---\\s*$");

  final List<HasMetadata> objects;

  private Chart(List<HasMetadata> objects) {
    this.objects = objects;
  }

  static LintResult lint() {
    return new Helm(DIR).lint().strict().call();
  }

  /** Renders the chart with the default values, then the scenario file (if any), then the sets. */
  static Chart render(String scenario, Map<String, Object> sets) {
    TemplateCommand template = new Helm(DIR).template().withName(RELEASE).withNamespace(NAMESPACE)
        .withKubeVersion(KUBE_VERSION);
    if (scenario != null) {
      template.withValuesFile(DIR.resolve("ci").resolve(scenario));
    }
    sets.forEach(template::set);
    return parse(template.call());
  }

  static Chart render(String scenario) {
    return render(scenario, Map.of());
  }

  static Chart parse(String manifests) {
    List<HasMetadata> objects = new ArrayList<>();
    for (String doc : DOCUMENT_SEPARATOR.split(manifests)) {
      if (doc.lines().anyMatch(l -> l.startsWith("kind:"))) {
        objects.add(Serialization.unmarshal(doc, HasMetadata.class));
      }
    }
    return new Chart(objects);
  }

  /** The scenario files in helm/hearth/ci. */
  static List<String> scenarios() {
    try (var files = Files.list(DIR.resolve("ci"))) {
      return files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith("-values.yaml")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  <T extends HasMetadata> List<T> all(Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  <T extends HasMetadata> T one(Class<T> type, String name) {
    return all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst()
        .orElseThrow(() -> new NoSuchElementException(type.getSimpleName() + " " + name + " not rendered; got "
            + objects.stream().map(o -> o.getKind() + "/" + o.getMetadata().getName()).toList()));
  }

  List<GenericKubernetesResource> custom(String kind) {
    return all(GenericKubernetesResource.class).stream().filter(o -> o.getKind().equals(kind)).toList();
  }

  boolean has(String kind) {
    return objects.stream().anyMatch(o -> o.getKind().equals(kind));
  }

  StatefulSet scheduler() {
    return one(StatefulSet.class, RELEASE);
  }

  Container schedulerContainer() {
    return scheduler().getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  /** The scheduler's settings as its process sees them: the ConfigMap, then the container's env. */
  Map<String, String> schedulerEnv() {
    Map<String, String> env = new java.util.LinkedHashMap<>(one(ConfigMap.class, RELEASE + "-scheduler").getData());
    for (EnvVar e : schedulerContainer().getEnv()) {
      env.put(e.getName(), e.getValue() != null ? e.getValue() : "(from " + describe(e) + ")");
    }
    return env;
  }

  static String describe(EnvVar e) {
    if (e.getValueFrom().getFieldRef() != null) {
      return "field " + e.getValueFrom().getFieldRef().getFieldPath();
    }
    return "secret " + e.getValueFrom().getSecretKeyRef().getName() + "/" + e.getValueFrom().getSecretKeyRef().getKey();
  }

  List<Deployment> workers() {
    return all(Deployment.class);
  }

  private static String property(String name) {
    String v = System.getProperty(name);
    if (v == null) {
      throw new IllegalStateException("system property " + name + " missing (helm/pom.xml sets it; run through Maven)");
    }
    return v;
  }
}
