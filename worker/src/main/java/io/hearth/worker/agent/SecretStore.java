package io.hearth.worker.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where a node finds the values of a job's secret references. Values are resolved only here, on
 * the assigned node, right before the process starts; the scheduler only ever sees references.
 * Implementations never log a value.
 */
@FunctionalInterface
public interface SecretStore {

  /** The value of {@code key}, or empty when the store has none. */
  Optional<String> resolve(String key);

  /** A store with no secrets: every job with a secret reference fails with a clear reason. */
  static SecretStore none() {
    return key -> Optional.empty();
  }

  /**
   * The operator's folder of secrets: one file per key, its content the value (one trailing newline
   * is dropped). Keys are plain names, so no reference can reach outside the folder.
   */
  static SecretStore directory(Path dir) {
    Pattern safe = Pattern.compile("[A-Za-z0-9._-]{1,256}");
    return key -> {
      if (!safe.matcher(key).matches() || key.startsWith(".")) {
        return Optional.empty();
      }
      Path file = dir.resolve(key);
      if (!Files.isRegularFile(file)) {
        return Optional.empty();
      }
      try {
        String v = Files.readString(file, StandardCharsets.UTF_8);
        return Optional.of(v.endsWith("\n") ? v.substring(0, v.length() - 1) : v);
      } catch (IOException e) {
        throw new UncheckedIOException("secret store: key '" + key + "' cannot be read", e);
      }
    };
  }
}
