package io.hearth.scheduler.donation;

import io.hearth.scheduler.placement.NodeKinds;
import java.util.Locale;
import java.util.StringJoiner;

/**
 * Which heater kinds' idle heat headroom goes into donation offers (setting
 * {@value #SETTING}). By default radiators only: space heating is what the donation programme gives
 * away in winter, while a boiler's all-year demand is the paid work's summer fallback (DESIGN.md,
 * "Seasons"); with {@code radiator,boiler} the tanks' idle headroom is offered too, all year.
 * Immutable; safe from any thread.
 */
public final class DonationSources {

  public static final String SETTING = "donation.node-kinds";
  public static final String DEFAULT_TEXT = "radiator";
  public static final DonationSources DEFAULT = parse(DEFAULT_TEXT);

  private final boolean radiators;
  private final boolean boilers;

  private DonationSources(boolean radiators, boolean boilers) {
    this.radiators = radiators;
    this.boilers = boilers;
  }

  /** Parses a comma-separated list of {@code radiator} and {@code boiler}; refuses anything else or nothing. */
  public static DonationSources parse(String text) {
    boolean radiators = false;
    boolean boilers = false;
    String list = text == null ? "" : text.trim();
    for (String part : list.split(",", -1)) {
      switch (part.trim().toLowerCase(Locale.ROOT)) {
        case "radiator" -> radiators = true;
        case "boiler" -> boilers = true;
        default -> throw new IllegalArgumentException(SETTING + ": '" + part.trim() + "' in '" + list
            + "' (expected: radiator, boiler or radiator,boiler)");
      }
    }
    return new DonationSources(radiators, boilers);
  }

  /** Whether a node of this kind (a {@link NodeKinds} value) offers its idle heat headroom. */
  public boolean offers(int kind) {
    return kind == NodeKinds.RADIATOR ? radiators : kind == NodeKinds.BOILER && boilers;
  }

  /** The kinds as the setting names them, e.g. "radiator,boiler". */
  @Override
  public String toString() {
    StringJoiner j = new StringJoiner(",");
    if (radiators) {
      j.add("radiator");
    }
    if (boilers) {
      j.add("boiler");
    }
    return j.toString();
  }
}
