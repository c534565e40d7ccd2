use asyncworker::prelude::*;

// Topology keys without `declare = true`: the route would create nothing.
#[route(amqp = ["a"], bind = ["shop:order.*"], max_length = 10)]
async fn undeclared(messages: Vec<Message<u8>>) {
    let _ = messages;
}

// Bad bindings, each at its literal.
#[route(amqp = ["b"], declare = true, bind = ["nokey", ":k", "e:k", "e:k"])]
async fn bindings(messages: Vec<Message<u8>>) {
    let _ = messages;
}

// A headers exchange without match arguments, and a bad `x-match`.
#[route(amqp = ["c"], declare = true, bind = ["docs:"], exchange_type = "headers")]
async fn headers(messages: Vec<Message<u8>>) {
    let _ = messages;
}

#[route(amqp = ["d"], declare = true, bind = ["docs:"], exchange_type = "fanout", bind_headers = ["x-match=some", "a"])]
async fn header_args(messages: Vec<Message<u8>>) {
    let _ = messages;
}

// Queue arguments: unknown values, a missing `max_length`, a classic queue's delivery limit.
#[route(amqp = ["e"], declare = true, exchange_type = "fan", overflow = "drop-tail", message_ttl = "0s", delivery_limit = 3, max_length = 0)]
async fn arguments(messages: Vec<Message<u8>>) {
    let _ = messages;
}

// Quorum queues have no `reject-publish-dlx`.
#[route(amqp = ["f"], declare = true, queue_type = "quorum", max_length = 5, overflow = "reject-publish-dlx")]
async fn quorum(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
