//! Timing statistics: per engine × program × phase, the median with a 95 %
//! interval; a run against its baseline, as a ratio with a Welch interval and
//! a regression verdict; and cross-engine outliers (the WarpDiff method) as
//! leads for triage.
//!
//! No I/O: samples in, estimates and verdicts out.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// The three measured phases, in order.
pub const PHASES: [Phase; 3] = [Phase::Compile, Phase::Instantiate, Phase::Execute];

/// A measured phase.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Compile,
    Instantiate,
    Execute,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Phase::Compile => "compile",
            Phase::Instantiate => "instantiate",
            Phase::Execute => "execute",
        })
    }
}

/// A median and its distribution-free 95 % interval, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Estimate {
    pub median_ns: f64,
    pub low_ns: f64,
    pub high_ns: f64,
    pub samples: usize,
}

/// The median of `xs` with the 95 % interval of order statistics around it
/// (binomial, by the normal approximation: ranks n/2 ∓ 0.98·√n).
pub fn estimate(xs: &[u64]) -> Estimate {
    if xs.is_empty() {
        return Estimate::default();
    }
    let mut v: Vec<f64> = xs.iter().map(|&x| x as f64).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    let half = 0.98 * (n as f64).sqrt();
    let lo = ((n as f64 / 2.0 - half).floor().max(0.0)) as usize;
    let hi = ((n as f64 / 2.0 + half).ceil() as usize).min(n - 1);
    Estimate {
        median_ns: median,
        low_ns: v[lo],
        high_ns: v[hi],
        samples: n,
    }
}

/// How a phase compares with its baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// Slower beyond the threshold, with confidence: fails the gate.
    Regressed,
    /// Faster beyond the threshold, with confidence.
    Improved,
    /// A change, but not confidently beyond the threshold.
    WithinThreshold,
    /// The interval spans no change.
    NoDifference,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Change::Regressed => "slower",
            Change::Improved => "faster",
            Change::WithinThreshold => "not beyond the threshold",
            Change::NoDifference => "no difference",
        })
    }
}

/// A ratio new/baseline of typical times with its interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Ratio {
    /// exp(mean log new − mean log baseline): the ratio of geometric means.
    pub ratio: f64,
    /// Its 95 % interval (Welch's t on log times).
    pub low: f64,
    pub high: f64,
    /// Two-sided p-value of "no change".
    pub p_value: f64,
    /// One-sided p-value of "slower by no more than the threshold" (small:
    /// confidently slower beyond it).
    pub p_slower: f64,
    /// One-sided p-value of "faster by no more than the threshold".
    pub p_faster: f64,
}

fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = if xs.len() > 1 {
        xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var)
}

/// A difference of log times `diff` with standard error `se` and `df`
/// degrees of freedom, as a ratio, judged against `threshold` (0.10 = 10 %).
fn from_log_difference(diff: f64, se: f64, df: f64, threshold: f64) -> Option<Ratio> {
    let margin = (1.0 + threshold).ln();
    if se <= 0.0 || !se.is_finite() {
        // No spread at all: the ratio is exact.
        let r = diff.exp();
        let p = |beyond: bool| if beyond { 0.0 } else { 1.0 };
        return Some(Ratio {
            ratio: r,
            low: r,
            high: r,
            p_value: p(diff != 0.0),
            p_slower: p(diff > margin),
            p_faster: p(-diff > margin),
        });
    }
    let t = StudentsT::new(0.0, 1.0, df.max(1.0)).ok()?;
    let q = t.inverse_cdf(0.975);
    Some(Ratio {
        ratio: diff.exp(),
        low: (diff - q * se).exp(),
        high: (diff + q * se).exp(),
        p_value: 2.0 * (1.0 - t.cdf((diff / se).abs())),
        p_slower: 1.0 - t.cdf((diff - margin) / se),
        p_faster: 1.0 - t.cdf((-diff - margin) / se),
    })
}

/// New against baseline: Welch's (Behrens–Fisher) test on log times, so the
/// effect is a ratio ("1.04× to 1.11× slower") and spread scales with time.
/// `None` with fewer than two samples on either side.
pub fn ratio(new: &[u64], base: &[u64], threshold: f64) -> Option<Ratio> {
    if new.len() < 2 || base.len() < 2 {
        return None;
    }
    let logs = |xs: &[u64]| -> Vec<f64> { xs.iter().map(|&x| (x.max(1) as f64).ln()).collect() };
    let (a, b) = (logs(new), logs(base));
    let (ma, va) = mean_var(&a);
    let (mb, vb) = mean_var(&b);
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let se2 = va / na + vb / nb;
    let df = if se2 > 0.0 {
        se2.powi(2) / ((va / na).powi(2) / (na - 1.0) + (vb / nb).powi(2) / (nb - 1.0))
    } else {
        1.0
    };
    from_log_difference(ma - mb, se2.sqrt(), df, threshold)
}

/// Many programs at once: the geometric mean of per-program ratios (given as
/// logs), with a t interval over the programs — each program one replicate.
/// A slowdown of the engine shows in every program; drift of the machine
/// during one program's measurements does not.
pub fn pooled(log_ratios: &[f64], threshold: f64) -> Option<Ratio> {
    if log_ratios.len() < 3 {
        return None;
    }
    let (m, v) = mean_var(log_ratios);
    let n = log_ratios.len() as f64;
    from_log_difference(m, (v / n).sqrt(), n - 1.0, threshold)
}

/// The verdict on `r`: slower (or faster) beyond `threshold` when the
/// one-sided test against the threshold is significant at `alpha` (the gate
/// divides 0.05 by the number of comparisons, so a run's false alarms stay
/// rare); "no difference" when the 95 % interval spans 1.
pub fn judge(r: &Ratio, alpha: f64) -> Change {
    if r.p_slower < alpha {
        Change::Regressed
    } else if r.p_faster < alpha {
        Change::Improved
    } else if r.low <= 1.0 && r.high >= 1.0 {
        Change::NoDifference
    } else {
        Change::WithinThreshold
    }
}

/// A case whose engine times stand out from the others' pattern.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Outlier {
    /// Index of the case in the input.
    pub case: usize,
    /// Distance of its normalised time vector from the mean vector.
    pub distance: f64,
    /// The engine whose component deviates most upwards (the slow one).
    pub engine: String,
    /// That engine's share of the case's time against its mean share.
    pub factor: f64,
}

/// WarpDiff's ranking: each case's vector of engine times is L2-normalised,
/// the mean of those vectors is the usual pattern, and a case's distance from
/// it ranks the case; the component that deviates most upwards names the
/// engine. Cases where any engine has no time are left out. Highest first.
pub fn outliers(engines: &[String], cases: &[Vec<f64>]) -> Vec<Outlier> {
    let k = engines.len();
    let normal: Vec<(usize, Vec<f64>)> = cases
        .iter()
        .enumerate()
        .filter(|(_, v)| v.len() == k && v.iter().all(|x| *x > 0.0 && x.is_finite()))
        .map(|(i, v)| {
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            (i, v.iter().map(|x| x / norm).collect())
        })
        .collect();
    if normal.len() < 2 || k < 2 {
        return vec![];
    }
    let mut mean = vec![0.0; k];
    for (_, v) in &normal {
        for (m, x) in mean.iter_mut().zip(v) {
            *m += x / normal.len() as f64;
        }
    }
    let mut out: Vec<Outlier> = normal
        .iter()
        .map(|(i, v)| {
            let distance = v
                .iter()
                .zip(&mean)
                .map(|(x, m)| (x - m).powi(2))
                .sum::<f64>()
                .sqrt();
            let (j, _) = v
                .iter()
                .zip(&mean)
                .map(|(x, m)| x - m)
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap_or((0, 0.0));
            Outlier {
                case: *i,
                distance,
                engine: engines[j].clone(),
                factor: if mean[j] > 0.0 { v[j] / mean[j] } else { 0.0 },
            }
        })
        .collect();
    out.sort_by(|a, b| b.distance.total_cmp(&a.distance).then(a.case.cmp(&b.case)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_interval_brackets_the_median() {
        let e = estimate(&[5, 1, 4, 2, 3, 9, 7, 8, 6, 10]);
        assert_eq!(e.median_ns, 5.5);
        assert!(e.low_ns <= 5.0 && e.high_ns >= 6.0, "{e:?}");
        assert_eq!(e.samples, 10);
    }

    #[test]
    fn a_quarter_slower_is_a_regression_and_equal_samples_are_not() {
        let base: Vec<u64> = (0..15).map(|i| 1_000_000 + (i * 7919 % 30_000)).collect();
        let slow: Vec<u64> = base.iter().map(|x| x * 5 / 4).collect();
        let r = ratio(&slow, &base, 0.10).expect("enough samples");
        assert!((r.ratio - 1.25).abs() < 0.01, "{r:?}");
        assert_eq!(judge(&r, 0.05), Change::Regressed);
        let same = ratio(&base, &base, 0.10).expect("enough samples");
        assert_eq!(judge(&same, 0.05), Change::NoDifference);
        let faster: Vec<u64> = base.iter().map(|x| x * 3 / 4).collect();
        assert_eq!(
            judge(&ratio(&faster, &base, 0.10).unwrap(), 0.05),
            Change::Improved
        );
        let little: Vec<u64> = base.iter().map(|x| x * 104 / 100).collect();
        assert_eq!(
            judge(&ratio(&little, &base, 0.10).unwrap(), 0.05),
            Change::WithinThreshold
        );
    }

    #[test]
    fn pooled_programs_flag_a_shift_in_all_but_not_drift_in_one() {
        let all = [0.22, 0.23, 0.21, 0.225, 0.215];
        assert_eq!(judge(&pooled(&all, 0.10).unwrap(), 0.01), Change::Regressed);
        let one = [0.0, 0.01, -0.02, 0.18, 0.005];
        assert_ne!(judge(&pooled(&one, 0.10).unwrap(), 0.01), Change::Regressed);
    }

    #[test]
    fn the_engine_slow_on_one_case_is_the_top_outlier() {
        let engines = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let cases = vec![
            vec![1.0, 2.0, 3.0],
            vec![2.0, 4.0, 6.0],
            vec![1.0, 2.0, 30.0],
            vec![1.5, 3.0, 4.5],
        ];
        let out = outliers(&engines, &cases);
        assert_eq!(out[0].case, 2);
        assert_eq!(out[0].engine, "c");
        assert!(out[0].distance > out[1].distance);
    }
}
