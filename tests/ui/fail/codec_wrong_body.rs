use asyncworker::codec::{Codec, DecodeError, Payload};
use asyncworker::prelude::*;

/// Decodes rows, not text.
struct Csv;

impl Codec<Vec<u64>> for Csv {
    fn decode(_: Payload<'_>) -> Result<Vec<u64>, DecodeError> {
        Ok(Vec::new())
    }
}

#[route(amqp = ["q"], codec = Csv)]
async fn handle(m: Message<String>) {
    let _ = m;
}

fn main() {}
