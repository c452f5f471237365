package dev.nodepulse.tasks.target;

import java.math.BigInteger;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Pi to N decimal digits, exactly, by Machin's formula pi = 16 atan(1/5) - 4 atan(1/239) in BigInteger
 * fixed point with guard digits. The series of atan(1/5) dominates the work, so progress follows its terms.
 */
final class Pi {
  private static final int GUARD = 20;
  /** Decimals shown in an intermediate value at most. */
  static final int SHOWN = 30;
  private static final double LOG10_25 = Math.log10(25);
  private static final double LOG10_239_SQ = Math.log10(239.0 * 239.0);

  /**
   * Receives progress on the computing thread after every term: percent 0-99 and, lazily, pi as known so
   * far ("3.14159…", at most {@link #SHOWN} decimals). The listener throttles.
   */
  interface Listener {
    void progress(int percent, Supplier<String> known);
  }

  private Pi() {}

  /**
   * "3." followed by {@code digits} decimals. Checks {@code stop} before every term and throws
   * {@link CancellationException} when it turns true.
   */
  static String digits(int digits, BooleanSupplier stop, Listener listener) {
    if (digits < 1) {
      throw new IllegalArgumentException("digits must be at least 1");
    }
    int scale = digits + GUARD;
    BigInteger one = BigInteger.TEN.pow(scale);
    double terms239 = Math.ceil(scale / LOG10_239_SQ) + 1;
    double terms5 = Math.ceil(scale / LOG10_25) + 1;
    double total = terms239 + terms5;
    // the short series first: no digit of pi is known until the long one runs
    BigInteger atan239 = atan(239, one, stop, (k, sum) -> listener.progress((int) (100 * k / total), () -> "3."));
    BigInteger shownScale = BigInteger.TEN.pow(Math.max(0, scale - SHOWN));
    BigInteger atan5 = atan(5, one, stop, (k, sum) -> {
      int percent = (int) Math.min(99, 100 * (terms239 + k) / total);
      listener.progress(percent, () -> {
        // after k terms of atan(1/5) the error is below 16 * 5^-(2k+1): about 1.4 k correct decimals
        int known = (int) Math.min(digits, Math.floor(k * LOG10_25) - 2);
        if (known < 1) {
          return "3.";
        }
        BigInteger pi = machin(sum, atan239);
        String s = (scale > SHOWN ? pi.divide(shownScale) : pi).toString();
        String decimals = s.substring(1, 1 + Math.min(known, SHOWN));
        return "3." + decimals + (known > SHOWN ? "…" : "");
      });
    });
    String s = machin(atan5, atan239).divide(BigInteger.TEN.pow(GUARD)).toString();
    return s.charAt(0) + "." + s.substring(1, 1 + digits);
  }

  private static BigInteger machin(BigInteger atan5, BigInteger atan239) {
    return atan5.shiftLeft(4).subtract(atan239.shiftLeft(2));
  }

  private interface Term {
    void done(long k, BigInteger sum);
  }

  /** atan(1/x) * one, by the alternating series sum (-1)^k / ((2k+1) x^(2k+1)). */
  private static BigInteger atan(int x, BigInteger one, BooleanSupplier stop, Term after) {
    BigInteger xSquared = BigInteger.valueOf((long) x * x);
    BigInteger power = one.divide(BigInteger.valueOf(x)); // one / x^(2k+1)
    BigInteger sum = power;
    long k = 0;
    while (power.signum() != 0) {
      if (stop.getAsBoolean()) {
        throw new CancellationException();
      }
      k++;
      power = power.divide(xSquared);
      BigInteger term = power.divide(BigInteger.valueOf(2 * k + 1));
      sum = (k & 1) == 1 ? sum.subtract(term) : sum.add(term);
      after.done(k, sum);
    }
    return sum;
  }
}
