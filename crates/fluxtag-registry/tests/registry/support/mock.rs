//! A small HTTP/1.1 server on 127.0.0.1 for what the real registry cannot do: `Link` paging, 429
//! with `Retry-After`, expiring tokens, malformed JSON, slow and hanging answers, redirect loops.
//!
//! A test gives it a handler from request to response; the server records every request and the
//! largest number of requests it was answering at once.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A request as received.
#[derive(Debug, Clone)]
pub struct MockRequest {
    /// `GET`, `HEAD`, …
    pub method: String,
    /// The path with its query.
    pub path: String,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl MockRequest {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path without its query.
    pub fn path_only(&self) -> &str {
        self.path.split('?').next().unwrap_or_default()
    }

    /// A query parameter (not decoded).
    pub fn query(&self, name: &str) -> Option<&str> {
        let query = self.path.split_once('?')?.1;
        query
            .split('&')
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }
}

/// A response to send.
#[derive(Debug, Clone)]
pub struct MockResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    delay: Duration,
    hang: bool,
}

impl MockResponse {
    /// An empty response with `status`.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
            hang: false,
        }
    }

    /// A JSON response.
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Self::status(status)
            .header("content-type", "application/json")
            .body(body.into().into_bytes())
    }

    /// `{"tags": [...]}` with status 200.
    pub fn tags(name: &str, tags: &[&str]) -> Self {
        let list = tags
            .iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(",");
        Self::json(200, format!(r#"{{"name":"{name}","tags":[{list}]}}"#))
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }

    /// Waits this long before answering.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Never answers (the connection stays open).
    pub fn hang() -> Self {
        let mut r = Self::status(200);
        r.hang = true;
        r
    }
}

type Handler = dyn Fn(&MockRequest) -> MockResponse + Send + Sync;

/// A running mock server; stops accepting when dropped.
pub struct MockServer {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<MockRequest>>>,
    max_in_flight: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl MockServer {
    /// Starts a server on 127.0.0.1 with a free port.
    pub async fn start(
        handler: impl Fn(&MockRequest) -> MockResponse + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let max_in_flight = Arc::new(AtomicUsize::new(0));
        let handler: Arc<Handler> = Arc::new(handler);
        let task = {
            let requests = Arc::clone(&requests);
            let max_in_flight = Arc::clone(&max_in_flight);
            tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        break;
                    };
                    let conn = Connection {
                        handler: Arc::clone(&handler),
                        requests: Arc::clone(&requests),
                        in_flight: Arc::clone(&in_flight),
                        max_in_flight: Arc::clone(&max_in_flight),
                    };
                    tokio::spawn(conn.serve(stream));
                }
            })
        };
        Self {
            addr,
            requests,
            max_in_flight,
            task,
        }
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<MockRequest> {
        self.requests.lock().expect("requests").clone()
    }

    /// How many requests had a path (without query) equal to `path`.
    pub fn count(&self, path: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.path_only() == path)
            .count()
    }

    /// The most requests answered at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Connection {
    handler: Arc<Handler>,
    requests: Arc<Mutex<Vec<MockRequest>>>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
}

impl Connection {
    async fn serve(self, stream: TcpStream) {
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        loop {
            let Some(request) = read_request(&mut reader).await else {
                // Not HTTP (a TLS hello, say): answer something that is not TLS either.
                let _ = write
                    .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                    .await;
                return;
            };
            if request.method.is_empty() {
                return;
            }
            self.requests
                .lock()
                .expect("requests")
                .push(request.clone());
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_in_flight.fetch_max(now, Ordering::SeqCst);
            let response = (self.handler)(&request);
            if response.hang {
                // Keep the connection open and silent until the client gives up.
                let mut sink = [0_u8; 1];
                let _ = reader.read(&mut sink).await;
                self.in_flight.fetch_sub(1, Ordering::SeqCst);
                return;
            }
            if !response.delay.is_zero() {
                tokio::time::sleep(response.delay).await;
            }
            let mut head = format!(
                "HTTP/1.1 {} {}\r\ncontent-length: {}\r\n",
                response.status,
                reason(response.status),
                response.body.len()
            );
            for (k, v) in &response.headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            let mut bytes = head.into_bytes();
            if request.method != "HEAD" {
                bytes.extend_from_slice(&response.body);
            }
            let ok = write.write_all(&bytes).await.is_ok();
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            if !ok {
                return;
            }
        }
    }
}

/// Reads one request. `Some` with an empty method at a clean end of the stream, `None` for
/// something that is not an HTTP request.
async fn read_request(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> Option<MockRequest> {
    let mut line = Vec::new();
    let n = reader.read_until(b'\n', &mut line).await.ok()?;
    if n == 0 {
        return Some(MockRequest {
            method: String::new(),
            path: String::new(),
            headers: Vec::new(),
            body: Vec::new(),
        });
    }
    let line = String::from_utf8(line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    if !parts.next()?.starts_with("HTTP/1") {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).await.ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.ok()?;
    Some(MockRequest {
        method,
        path,
        headers,
        body,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
