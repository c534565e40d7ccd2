//! Publish-to-handler latency at a fixed rate, for `scripts/bench-latency.sh`.
//!
//! `latency-publish` sends persistent ~200-byte bodies at a fixed rate, each stamped with the
//! wall-clock instant of its publish in the header [`SENT`]; the first seconds are marked
//! [`WARMUP`] and the final message [`LAST`]. Each consumer (`latency-aw`, our worker;
//! `latency-lapin` and `latency-amqprs`, the raw clients acking one by one) hands every
//! delivery's [`Stamp`] to a [`Recorder`], which keeps `receive - publish` in a histogram and
//! prints one `LATENCY` line when the last message arrives.
//!
//! Both ends read the same clock (`CLOCK_REALTIME` on one machine), so no offset is involved.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use hdrhistogram::Histogram;

/// Header holding the publish instant, in nanoseconds since the Unix epoch (a signed 64-bit
/// integer).
pub const SENT: &str = "x-sent-ns";
/// Header set (true) on the messages of the warm-up, which are not recorded.
pub const WARMUP: &str = "x-warmup";
/// Header set (true) on the last message of a run: the consumer then prints its line.
pub const LAST: &str = "x-last";

/// The environment variable `name`, or `default` when it is unset or empty.
pub fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// Nanoseconds since the Unix epoch, now.
pub fn now_ns() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970");
    i64::try_from(since.as_nanos()).expect("before 2262")
}

/// What one message's headers say, read by each client from its own header type.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stamp {
    /// The publish instant ([`SENT`]), if the message has one.
    pub sent_ns: Option<i64>,
    /// Whether it belongs to the warm-up ([`WARMUP`]).
    pub warmup: bool,
    /// Whether it is the last message of the run ([`LAST`]).
    pub last: bool,
}

impl Stamp {
    /// Reads a stamp from lapin's headers (which our worker's `Message::headers` also gives).
    pub fn from_lapin(headers: Option<&lapin::types::FieldTable>) -> Stamp {
        use lapin::types::AMQPValue;
        let Some(table) = headers else {
            return Stamp::default();
        };
        let table = table.inner();
        let flag = |name: &str| matches!(table.get(name), Some(AMQPValue::Boolean(true)));
        Stamp {
            sent_ns: match table.get(SENT) {
                Some(AMQPValue::LongLongInt(ns)) => Some(*ns),
                _ => None,
            },
            warmup: flag(WARMUP),
            last: flag(LAST),
        }
    }

    /// Reads a stamp from amqprs's headers.
    pub fn from_amqprs(headers: Option<&amqprs::FieldTable>) -> Stamp {
        use amqprs::FieldValue;
        let mut stamp = Stamp::default();
        for (name, value) in headers.map(|t| t.as_ref().iter()).into_iter().flatten() {
            match (AsRef::<String>::as_ref(name).as_str(), value) {
                (SENT, FieldValue::l(ns)) => stamp.sent_ns = Some(*ns),
                (WARMUP, FieldValue::t(flag)) => stamp.warmup = *flag,
                (LAST, FieldValue::t(flag)) => stamp.last = *flag,
                _ => {}
            }
        }
        stamp
    }
}

/// Latencies of one consumer's run.
pub struct Recorder {
    label: String,
    state: Mutex<State>,
}

struct State {
    histogram: Histogram<u64>,
    warmup: u64,
    unstamped: u64,
    reported: bool,
}

impl Recorder {
    /// A recorder whose line says `label=<label>`.
    pub fn new(label: impl Into<String>) -> Recorder {
        // 1 ns to 60 s at three significant digits: a 0.1 % error on every percentile.
        let histogram = Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("valid bounds");
        Recorder {
            label: label.into(),
            state: Mutex::new(State {
                histogram,
                warmup: 0,
                unstamped: 0,
                reported: false,
            }),
        }
    }

    /// A recorder labelled from `BENCH_LABEL` (or `default`).
    pub fn from_env(default: &str) -> Recorder {
        Recorder::new(std::env::var("BENCH_LABEL").unwrap_or_else(|_| default.to_owned()))
    }

    /// Records one delivery received now; on the last one, prints the `LATENCY` line.
    pub fn record(&self, stamp: Stamp) {
        let now = now_ns();
        let mut state = self.state.lock().expect("no panic while recording");
        match stamp.sent_ns {
            None => state.unstamped += 1,
            Some(_) if stamp.warmup => state.warmup += 1,
            Some(sent) => {
                let latency = u64::try_from(now.saturating_sub(sent)).unwrap_or(0).max(1);
                state.histogram.saturating_record(latency);
            }
        }
        if stamp.last && !state.reported {
            state.reported = true;
            println!("{}", line(&self.label, &state));
        }
    }
}

/// `LATENCY label=... n=... p50_us=... ...`: the percentiles in microseconds.
fn line(label: &str, state: &State) -> String {
    let h = &state.histogram;
    let us = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    format!(
        "LATENCY label={label} n={} warmup={} unstamped={} mean_us={:.1} p50_us={:.1} \
         p90_us={:.1} p99_us={:.1} p999_us={:.1} max_us={:.1}",
        h.len(),
        state.warmup,
        state.unstamped,
        h.mean() / 1000.0,
        us(0.5),
        us(0.9),
        us(0.99),
        us(0.999),
        h.max() as f64 / 1000.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warmup_and_unstamped_messages_are_counted_not_recorded() {
        let r = Recorder::new("t");
        let sent = now_ns() - 1_000_000; // a millisecond ago
        r.record(Stamp {
            sent_ns: Some(sent),
            warmup: true,
            last: false,
        });
        r.record(Stamp::default());
        r.record(Stamp {
            sent_ns: Some(sent),
            warmup: false,
            last: false,
        });
        let state = r.state.lock().unwrap();
        assert_eq!(
            (state.histogram.len(), state.warmup, state.unstamped),
            (1, 1, 1)
        );
        assert!(state.histogram.max() >= 1_000_000);
        assert!(line("t", &state).starts_with("LATENCY label=t n=1 warmup=1 unstamped=1 "));
    }
}
