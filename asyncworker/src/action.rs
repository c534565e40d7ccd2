//! What happens to a message once its handler is done with it.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

/// The fate of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Acknowledge: the broker forgets the message.
    Ack,
    /// Reject without requeue: the broker drops it, or dead-letters it if the queue has a DLX.
    Reject,
    /// Reject with requeue: the broker delivers it again (`redelivered = true`).
    Requeue,
}

impl Action {
    /// The name used in logs and route options (`"ack"`, `"reject"`, `"requeue"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Ack => "ack",
            Action::Reject => "reject",
            Action::Requeue => "requeue",
        }
    }

    const fn to_u8(self) -> u8 {
        match self {
            Action::Ack => 1,
            Action::Reject => 2,
            Action::Requeue => 3,
        }
    }

    const fn from_u8(v: u8) -> Option<Action> {
        match v {
            1 => Some(Action::Ack),
            2 => Some(Action::Reject),
            3 => Some(Action::Requeue),
            _ => None,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Per-message overrides of one bulk, shared by the messages (which the handler may drop) and
/// the dispatcher (which reads them once the handler returns). One allocation per bulk: the
/// reference counts and the marks share it.
#[derive(Debug, Clone)]
pub(crate) struct Marks(Arc<[AtomicU8]>);

impl Marks {
    pub(crate) fn new(n: usize) -> Marks {
        Marks((0..n).map(|_| AtomicU8::new(0)).collect())
    }

    pub(crate) fn get(&self, i: usize) -> Option<Action> {
        Action::from_u8(self.0[i].load(Ordering::Acquire))
    }

    /// Every mark as it is now, to [`restore`](Marks::restore) later.
    pub(crate) fn snapshot(&self) -> Vec<u8> {
        self.0.iter().map(|m| m.load(Ordering::Acquire)).collect()
    }

    /// Puts back the marks of a [`snapshot`](Marks::snapshot).
    pub(crate) fn restore(&self, snapshot: &[u8]) {
        for (m, v) in self.0.iter().zip(snapshot) {
            m.store(*v, Ordering::Release);
        }
    }
}

/// One message's slot in its bulk's [`Marks`].
#[derive(Debug, Clone)]
pub(crate) struct Mark {
    marks: Marks,
    index: usize,
}

impl Mark {
    pub(crate) fn new(marks: &Marks, index: usize) -> Mark {
        Mark {
            marks: marks.clone(),
            index,
        }
    }

    pub(crate) fn set(&self, action: Action) {
        self.marks.0[self.index].store(action.to_u8(), Ordering::Release);
    }

    pub(crate) fn get(&self) -> Option<Action> {
        self.marks.get(self.index)
    }
}

/// Reads one message's mark after the message itself is gone: a handler takes its messages by
/// value, so a test keeps a probe to see what the handler decided (feature `testing`).
///
/// Made by [`Message::mark_probe`](crate::Message::mark_probe).
#[cfg(feature = "testing")]
#[derive(Debug, Clone)]
pub struct MarkProbe(Mark);

#[cfg(feature = "testing")]
impl MarkProbe {
    pub(crate) fn new(mark: &Mark) -> MarkProbe {
        MarkProbe(mark.clone())
    }

    /// The mark the handler set last (`accept`, `reject`, `requeue`), or `None` if it set
    /// none (the message then gets the route's `on_success` or `on_exception`).
    pub fn get(&self) -> Option<Action> {
        self.0.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_mark_wins() {
        let marks = Marks::new(2);
        let m = Mark::new(&marks, 1);
        assert_eq!(marks.get(1), None);
        m.set(Action::Reject);
        m.set(Action::Requeue);
        assert_eq!(marks.get(1), Some(Action::Requeue));
        assert_eq!(m.get(), Some(Action::Requeue));
        assert_eq!(marks.get(0), None);
    }
}
