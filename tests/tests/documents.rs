//! The documents a worker prints (`aw_documents`, whose routes use every part of the
//! topology): `--topology` imported with `rabbitmqctl import_definitions` into a fresh vhost
//! makes `--check` pass there (it failed before), and `--asyncapi` validates with the AsyncAPI
//! project's own parser (`tests/js`, `npm ci` there; node is required, never skipped).

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncworker_tests::rabbitmqctl::{TempVhost, rabbitmqctl};
use asyncworker_tests::tools::{temp_file, validate_asyncapi};
use asyncworker_tests::{Proc, unique_prefix, wait_for};
use serde_json::Value;

/// What a finished run of `aw_documents` left.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// `aw_documents ARGS` against `amqp_url`, run to its end.
async fn aw_documents(args: &[&str], amqp_url: &str) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aw_documents"));
    cmd.args(args)
        .env("ASYNCWORKER_AMQP_URL", amqp_url)
        // Never connected to: `--check --only amqp` leaves SSE out, the documents connect
        // nowhere.
        .env("ASYNCWORKER_SSE_URL", "http://127.0.0.1:1")
        .env("ASYNCWORKER_HTTP_PORT", "0");
    let mut proc = Proc::spawn(cmd);
    let status = proc.wait(Duration::from_secs(60)).await;
    Run {
        code: status.code(),
        stdout: proc.stdout().join("\n"),
        stderr: proc.stderr(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topology_imported_into_a_fresh_vhost_makes_the_check_pass() {
    let vhost = format!("{}vh", unique_prefix("topology"));
    let _guard = TempVhost::create(&vhost).await;
    let url = format!("amqp://guest:guest@127.0.0.1:5672/{vhost}");

    // The route that does not declare its queues fails the check until they exist.
    let before = aw_documents(&["--check", "--only", "amqp"], &url).await;
    assert_eq!(before.code, Some(1), "{}\n{}", before.stdout, before.stderr);
    assert!(
        before
            .stdout
            .contains("FAIL amqp legacy: queue `legacy` MISSING"),
        "{}",
        before.stdout
    );

    let run = aw_documents(&["--topology"], &url).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).expect("--topology prints JSON");
    assert_definitions(&doc, &vhost);

    let file = temp_file(&format!("{vhost}.json"), &run.stdout);
    rabbitmqctl(&["-q", "import_definitions", file.to_str().unwrap()]).await;
    let _ = std::fs::remove_file(&file);

    // The import runs asynchronously in the broker: check again until it has landed.
    let last = Arc::new(Mutex::new(String::new()));
    let passed = wait_for(Duration::from_secs(60), || {
        let (url, last) = (url.clone(), Arc::clone(&last));
        async move {
            let after = aw_documents(&["--check", "--only", "amqp"], &url).await;
            *last.lock().unwrap() = after.stdout;
            after.code == Some(0)
        }
    })
    .await;
    let last = last.lock().unwrap().clone();
    assert!(passed, "--check still fails after the import:\n{last}");
    assert!(last.contains("check: 3 ok, 0 failed"), "{last}");
}

/// The definitions name every queue, exchange and binding of the routes, in `vhost`.
fn assert_definitions(doc: &Value, vhost: &str) {
    let queue = |name: &str| {
        doc["queues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["name"] == name)
            .unwrap_or_else(|| panic!("no queue {name} in {doc:#}"))
            .clone()
    };
    for list in ["queues", "exchanges", "bindings"] {
        for item in doc[list].as_array().unwrap() {
            assert_eq!(item["vhost"], vhost, "{item}");
        }
    }
    let orders = queue("orders");
    assert_eq!(orders["durable"], true);
    assert_eq!(orders["arguments"]["x-queue-type"], "quorum");
    assert_eq!(orders["arguments"]["x-max-length"], 1000);
    assert_eq!(
        orders["arguments"]["x-dead-letter-routing-key"],
        "orders.parking"
    );
    for (tier, ttl) in [("orders.retry.1s", 1000), ("orders.retry.5s", 5000)] {
        let retry = queue(tier);
        assert_eq!(retry["arguments"]["x-message-ttl"], ttl);
        assert_eq!(retry["arguments"]["x-dead-letter-routing-key"], "orders");
    }
    assert_eq!(
        queue("orders.parking")["arguments"]["x-queue-type"],
        "quorum"
    );
    // A route that does not declare: a plain durable queue, and its retry queue as retries need it.
    assert_eq!(queue("legacy")["arguments"], serde_json::json!({}));
    assert_eq!(queue("legacy.retry")["arguments"]["x-message-ttl"], 2000);
    assert_eq!(queue("notes")["arguments"]["x-message-ttl"], 60_000);
    let exchanges: Vec<(&str, &str)> = doc["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), e["type"].as_str().unwrap()))
        .collect();
    assert_eq!(exchanges, [("notices", "fanout"), ("shop", "topic")]);
    let bindings: Vec<(&str, &str, &str)> = doc["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["source"].as_str().unwrap(),
                b["routing_key"].as_str().unwrap(),
                b["destination"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        bindings,
        [
            ("notices", "", "notes"),
            ("shop", "order.*", "orders"),
            ("shop", "order.rush", "orders")
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_asyncapi_document_validates_and_describes_every_route() {
    let url = "amqp://guest:s3cr3t-pw@127.0.0.1:5672/docs-vhost";
    let run = aw_documents(&["--asyncapi"], url).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(!run.stdout.contains("s3cr3t"), "a password in the document");
    let file = temp_file(
        &format!("{}asyncapi.json", unique_prefix("asyncapi")),
        &run.stdout,
    );
    let (code, diagnostics) = validate_asyncapi(&file);
    let _ = std::fs::remove_file(&file);
    assert_eq!(code, Some(0), "the parser found errors:\n{diagnostics}");
    assert!(diagnostics.contains("\"parsed\":true"), "{diagnostics}");

    let doc: Value = serde_json::from_str(&run.stdout).expect("--asyncapi prints JSON");
    assert_eq!(doc["asyncapi"], "3.0.0");
    assert_eq!(doc["info"]["title"], "aw_documents");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let amqp = &doc["servers"]["amqp"];
    assert_eq!(amqp["host"], "127.0.0.1:5672");
    assert_eq!(amqp["protocol"], "amqp");
    assert_eq!(amqp["pathname"], "/docs-vhost");
    assert_eq!(doc["servers"]["sse"]["host"], "127.0.0.1:1");

    // A channel for every queue, the retry and dead-letter queues included.
    for queue in [
        "orders",
        "orders.retry.1s",
        "orders.retry.5s",
        "orders.parking",
        "notes",
        "legacy",
        "legacy.retry",
    ] {
        let id = format!("queue-{}", queue.replace('.', "_"));
        let channel = &doc["channels"][&id];
        assert_eq!(
            channel["bindings"]["amqp"]["is"], "queue",
            "{id}: {channel}"
        );
        assert_eq!(channel["bindings"]["amqp"]["queue"]["name"], queue);
        assert_eq!(channel["bindings"]["amqp"]["queue"]["vhost"], "docs-vhost");
    }
    let shop = &doc["channels"]["exchange-shop-order__-orders"]["bindings"]["amqp"];
    assert_eq!(shop["is"], "routingKey");
    assert_eq!(shop["exchange"]["type"], "topic");

    // A receive operation per route, with its options and its doc comment.
    let ops = &doc["operations"];
    for route in ["take_orders", "notes", "legacy", "order_events"] {
        assert_eq!(
            ops[format!("receive_{route}")]["action"],
            "receive",
            "{route}"
        );
    }
    let take = &ops["receive_take_orders"];
    assert_eq!(take["summary"], "Takes the shop's orders in bulk.");
    assert!(
        take["description"]
            .as_str()
            .unwrap()
            .contains("orders.parking")
    );
    assert_eq!(take["x-asyncworker-bulk-size"], 10);
    assert_eq!(take["x-asyncworker-bulk-flush"], "250ms");
    assert_eq!(take["x-asyncworker-retries"], 3);
    assert_eq!(take["x-asyncworker-dead-letter"], "orders.parking");
    assert_eq!(ops["receive_order_events"]["x-asyncworker-bulk-size"], 5);

    // A send operation per `publishes` entry, of any backend.
    let messages = &doc["components"]["messages"];
    let send = |id: &str| {
        let op = &ops[id];
        assert_eq!(op["action"], "send", "{id}: {ops:#}");
        let reference = op["messages"][0]["$ref"].as_str().unwrap();
        let message = reference.rsplit('/').next().unwrap();
        messages[message].clone()
    };
    let invoice = send("send_take_orders_to_billing_invoice_created");
    assert_eq!(invoice["payload"]["$ref"], "#/components/schemas/Invoice");
    let audit = send("send_take_orders_to__audit");
    assert!(audit["payload"].get("$ref").is_none(), "{audit}");
    let totals = send("send_report_to_stats_totals");
    assert_eq!(totals["summary"], "Reports totals every hour.");
    assert_eq!(
        doc["channels"]["publish__audit"]["bindings"]["amqp"]["queue"]["name"],
        "audit"
    );

    // Payloads: a derived schema, and a free-form one for a type without.
    assert_eq!(
        messages["take_orders"]["payload"]["$ref"],
        "#/components/schemas/Order"
    );
    assert_eq!(messages["take_orders"]["contentType"], "application/json");
    let order = &doc["components"]["schemas"]["Order"];
    assert_eq!(order["properties"]["id"]["type"], "integer");
    assert_eq!(order["description"], "An order from the shop.");
    let note = &messages["notes"]["payload"];
    assert!(
        note.get("$ref").is_none() && note.get("type").is_none(),
        "{note}"
    );
    assert!(note["description"].as_str().unwrap().contains("free-form"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_document_at_a_time() {
    let run = aw_documents(&["--topology", "--asyncapi"], "amqp://127.0.0.1").await;
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr
            .contains("--topology and --asyncapi cannot be combined"),
        "{}",
        run.stderr
    );
}
