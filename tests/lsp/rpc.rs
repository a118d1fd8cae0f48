//! A small JSON-RPC client for the language server's stdio: framing, requests with ids,
//! answers to the server's own requests, and waiting for notifications with a deadline.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long any wait may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// One end of a connection to a server.
pub struct Connection {
    writer: Box<dyn Write + Send>,
    incoming: Receiver<Value>,
    queue: VecDeque<Value>,
    next_id: i64,
    /// Requests the server sent us (method names), in order.
    pub server_requests: Vec<String>,
    /// Notifications seen so far (every one, also those already consumed).
    pub seen: Vec<Value>,
}

impl Connection {
    /// A connection over a byte stream pair; a thread reads and parses incoming frames.
    pub fn new(reader: impl Read + Send + 'static, writer: impl Write + Send + 'static) -> Self {
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(reader);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    match reader.read_line(&mut line) {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(value) = line.strip_prefix("Content-Length: ") {
                        length = value.parse::<usize>().ok();
                    }
                }
                let Some(length) = length else { return };
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let Ok(value) = serde_json::from_slice::<Value>(&body) else {
                    return;
                };
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        Connection {
            writer: Box::new(writer),
            incoming: rx,
            queue: VecDeque::new(),
            next_id: 1,
            server_requests: Vec::new(),
            seen: Vec::new(),
        }
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        let frame = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        self.writer
            .write_all(frame.as_bytes())
            .expect("write to server");
        self.writer.flush().expect("flush to server");
    }

    /// Sends a notification.
    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its response (`result` or `error` object inside).
    pub fn request_raw(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let deadline = Instant::now() + DEADLINE;
        loop {
            let message = self
                .receive(deadline)
                .unwrap_or_else(|| panic!("no answer to {method}"));
            if message.get("id") == Some(&json!(id)) && message.get("method").is_none() {
                return message;
            }
            self.queue.push_back(message);
        }
    }

    /// Sends a request and returns its result; fails the test on an error response.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.request_raw(method, params);
        if let Some(error) = response.get("error") {
            panic!("{method} failed: {error}");
        }
        response.get("result").cloned().unwrap_or(Value::Null)
    }

    /// The next message from the server; its requests are answered (`null`) and returned too.
    fn receive(&mut self, deadline: Instant) -> Option<Value> {
        let timeout = deadline.checked_duration_since(Instant::now())?;
        let message = self.incoming.recv_timeout(timeout).ok()?;
        if let (Some(method), Some(id)) = (message.get("method"), message.get("id")) {
            let method = method.as_str().unwrap_or_default().to_string();
            self.server_requests.push(method);
            let id = id.clone();
            self.send(&json!({"jsonrpc": "2.0", "id": id, "result": null}));
        } else if message.get("method").is_some() {
            self.seen.push(message.clone());
        }
        Some(message)
    }

    /// Waits for a notification `method` whose params satisfy `accept`, and returns them.
    pub fn wait_for(&mut self, method: &str, accept: impl Fn(&Value) -> bool) -> Value {
        let matches = |m: &Value| {
            m.get("method").and_then(Value::as_str) == Some(method)
                && m.get("params").is_some_and(&accept)
        };
        if let Some(position) = self.queue.iter().position(matches) {
            let message = self.queue.remove(position).unwrap_or_default();
            return message["params"].clone();
        }
        let deadline = Instant::now() + DEADLINE;
        loop {
            let message = self
                .receive(deadline)
                .unwrap_or_else(|| panic!("no {method} notification came"));
            if matches(&message) {
                return message["params"].clone();
            }
            self.queue.push_back(message);
        }
    }

    /// Waits until the server has sent a request `method` (answered with `null`).
    pub fn wait_request(&mut self, method: &str) {
        let deadline = Instant::now() + DEADLINE;
        while !self.server_requests.iter().any(|r| r == method) {
            let message = self
                .receive(deadline)
                .unwrap_or_else(|| panic!("the server sent no {method} request"));
            if message.get("id").is_none() {
                self.queue.push_back(message);
            }
        }
    }

    /// Waits for the diagnostics of `uri` that satisfy `accept`.
    ///
    /// Publications for `uri` that do not satisfy it, queued or arriving, are dropped: they are
    /// older than the one awaited, so a later wait cannot mistake them for fresh ones.
    pub fn diagnostics(&mut self, uri: &str, accept: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let for_uri = |m: &Value| {
            m["method"] == json!("textDocument/publishDiagnostics")
                && m["params"]["uri"] == json!(uri)
        };
        let accepted = |m: &Value| {
            m["params"]["diagnostics"]
                .as_array()
                .is_some_and(|d| accept(d))
        };
        let mut found = None;
        let mut kept = VecDeque::new();
        for message in std::mem::take(&mut self.queue) {
            if found.is_none() && for_uri(&message) {
                if accepted(&message) {
                    found = Some(message);
                }
            } else {
                kept.push_back(message);
            }
        }
        self.queue = kept;
        let deadline = Instant::now() + DEADLINE;
        let message = match found {
            Some(message) => message,
            None => loop {
                let message = self
                    .receive(deadline)
                    .unwrap_or_else(|| panic!("no fitting diagnostics for {uri}"));
                if for_uri(&message) {
                    if accepted(&message) {
                        break message;
                    }
                } else if message.get("id").is_none() {
                    self.queue.push_back(message);
                }
            },
        };
        message["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}
