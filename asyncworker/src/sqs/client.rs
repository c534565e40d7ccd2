//! The SQS client every route and `app.sqs()` share: built once from the standard AWS
//! environment (region, credential chain, `AWS_ENDPOINT_URL`), on the smithy hyper 1 client
//! (rustls on ring with the `tls` feature), plus the queue URLs it resolved.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use tokio::sync::OnceCell;

use crate::settings::Settings;

/// How long one request may take when it is not a long poll: beyond it the SDK retries it.
pub(crate) const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a TCP (and TLS) connection may take to set up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The worker's SQS client, created on first use, and the URL of every queue name it resolved.
pub(crate) struct SqsClients {
    client: OnceCell<Result<Client, String>>,
    urls: Mutex<HashMap<String, String>>,
    closed: AtomicBool,
}

impl crate::app::Resource for SqsClients {
    fn close(&self) -> crate::future::BoxFuture<'_, ()> {
        self.closed.store(true, Ordering::Release);
        Box::pin(async {})
    }
}

impl SqsClients {
    pub(crate) fn new(_settings: &Settings) -> SqsClients {
        SqsClients {
            client: OnceCell::new(),
            urls: Mutex::default(),
            closed: AtomicBool::new(false),
        }
    }

    /// Whether the worker closed its resources (it is shutting down).
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// The client, built on first use; `Err` says what in the environment is missing.
    pub(crate) async fn client(&self) -> Result<Client, String> {
        self.client.get_or_init(build).await.clone()
    }

    /// The URL of `queue`: itself if it is one, else what `GetQueueUrl` answers (once).
    pub(crate) async fn queue_url(&self, client: &Client, queue: &str) -> Result<String, UrlError> {
        if is_url(queue) {
            return Ok(queue.to_owned());
        }
        if let Some(url) = crate::sync::lock(&self.urls).get(queue) {
            return Ok(url.clone());
        }
        let out = client
            .get_queue_url()
            .queue_name(queue)
            .send()
            .await
            .map_err(|e| UrlError {
                code: service_code(&e),
                message: format!("cannot resolve queue `{queue}`: {}", describe(&e)),
            })?;
        let url = out.queue_url.ok_or_else(|| UrlError {
            code: None,
            message: format!("GetQueueUrl of `{queue}` answered no URL"),
        })?;
        crate::sync::lock(&self.urls).insert(queue.to_owned(), url.clone());
        Ok(url)
    }
}

/// Why a queue name did not resolve: SQS's error code if it answered (the queue does not
/// exist, access denied), and the whole story.
#[derive(Debug, Clone)]
pub(crate) struct UrlError {
    pub(crate) code: Option<String>,
    pub(crate) message: String,
}

impl From<UrlError> for String {
    fn from(e: UrlError) -> String {
        e.message
    }
}

/// A queue given as a URL rather than a name.
pub(crate) fn is_url(queue: &str) -> bool {
    queue.starts_with("http://") || queue.starts_with("https://")
}

/// A FIFO queue: its name (or URL) ends in `.fifo`.
pub(crate) fn is_fifo(queue: &str) -> bool {
    queue.ends_with(".fifo")
}

/// The client, from the standard AWS environment.
async fn build() -> Result<Client, String> {
    let http = http_client()?;
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .build();
    let config = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .timeout_config(timeouts)
        .load()
        .await;
    if config.region().is_none() {
        return Err(
            "SQS: no AWS region; set AWS_REGION (or a region in the AWS profile)".to_owned(),
        );
    }
    Ok(Client::new(&config))
}

/// The SDK's HTTP client: hyper 1 with rustls on ring, or plain HTTP without the `tls`
/// feature, in which case an `https://` endpoint (AWS itself) is refused up front.
#[cfg(feature = "tls")]
fn http_client() -> Result<aws_sdk_sqs::config::SharedHttpClient, String> {
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
    Ok(aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https())
}

#[cfg(not(feature = "tls"))]
fn http_client() -> Result<aws_sdk_sqs::config::SharedHttpClient, String> {
    let endpoint = ["AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()));
    match endpoint {
        Some(url) if url.starts_with("http://") => {
            Ok(aws_smithy_http_client::Builder::new().build_http())
        }
        Some(url) => Err(format!(
            "SQS: the endpoint {url:?} needs TLS, which this build of asyncworker does not have; enable the `tls` feature"
        )),
        None => Err(
            "SQS: AWS's endpoints need TLS, which this build of asyncworker does not have; enable the `tls` feature (or set AWS_ENDPOINT_URL to an http:// emulator)"
                .to_owned(),
        ),
    }
}

/// An SDK error with its whole chain of causes (its `Display` alone says "service error").
pub(crate) fn describe<E, R>(error: &SdkError<E, R>) -> String
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    DisplayErrorContext(error).to_string()
}

/// The error code SQS answered with (`AWS.SimpleQueueService.NonExistentQueue`,
/// `InvalidParameterValue`...), if it answered at all.
pub(crate) fn service_code<E, R>(error: &SdkError<E, R>) -> Option<String>
where
    E: ProvideErrorMetadata,
{
    match error {
        SdkError::ServiceError(e) => e.err().code().map(str::to_owned),
        _ => None,
    }
}
