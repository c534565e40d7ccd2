//! Which codec a route's body type picks, and the `codec` key.

use super::*;
use crate::test_support::tokens;

/// The factory call of an AMQP or SQS (`bulk_size = 1`) or SSE route whose handler takes `last`.
fn factory_of(attr: &str, last: &str) -> String {
    let item = format!("async fn handle(m: {last}) {{}}");
    let out = try_expand(tokens(attr), tokens(&item)).unwrap().to_string();
    let out: String = out.chars().filter(|c| !c.is_whitespace()).collect();
    let start = out.find("_factory::<").expect("a factory call");
    let end = start + out[start..].find("(handle)").expect("its argument");
    out[start..end].to_owned()
}

const P: &str = "::asyncworker::__private::";

#[test]
fn body_types_pick_their_codec() {
    for (last, codec) in [
        ("Message<Bytes>", "Raw"),
        ("Message<bytes::Bytes>", "Raw"),
        ("Vec<Message<Vec<u8>>>", "Raw"),
        ("Vec<Message<::std::vec::Vec<u8>>>", "Raw"),
        ("Message<String>", "Text"),
        ("Vec<asyncworker::Message<std::string::String>>", "Text"),
        ("Message<Vec<u16>>", "Json"),
        ("Message<Order>", "Json"),
        ("Message<MyString>", "Json"),
        ("Message<serde_json::Value>", "Json"),
    ] {
        let call = factory_of(r#"amqp = ["q"]"#, last);
        assert_eq!(call, format!("_factory::<1u16,{P}{codec},_,_>"), "{last}");
    }
    assert_eq!(
        factory_of(r#"sse = ["/e"]"#, "Vec<Event<String>>"),
        format!("_factory::<{P}Text,_,_>")
    );
    for (last, codec) in [
        ("Vec<SqsMessage<String>>", "Text"),
        ("SqsMessage<Bytes>", "Raw"),
        ("Vec<SqsMessage<Order>>", "Json"),
        // Another backend's wrapper is not this one's: its body type picks nothing.
        ("Vec<Message<String>>", "Json"),
    ] {
        let call = factory_of(r#"sqs = ["q"]"#, last);
        assert_eq!(call, format!("_factory::<1u16,{P}{codec},_,_>"), "{last}");
    }
}

#[test]
fn the_codec_key_wins_over_the_body_type() {
    let call = factory_of(r#"amqp = ["q"], codec = my::Csv"#, "Message<String>");
    assert_eq!(call, "_factory::<1u16,my::Csv,_,_>");
    let call = factory_of(r#"sse = ["/e"], codec = Csv"#, "Vec<Event<Row>>");
    assert_eq!(call, "_factory::<Csv,_,_>");
    let out = try_expand(
        tokens(r#"amqp = ["q"], codec = Csv"#),
        tokens("async fn handle(m: Message<Row>) {}"),
    )
    .unwrap()
    .to_string();
    let out: String = out.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(
        out.contains(&format!("{P}assert_codec::<Csv,Row>();")),
        "{out}"
    );
}
