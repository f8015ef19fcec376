//! An in-process SMTP sink: a real SMTP conversation (EHLO, MAIL, RCPT, DATA, QUIT) over TCP,
//! so that the server's lettre transport is exercised as in production.

use std::{collections::HashMap, net::SocketAddr, sync::Arc, time::Duration};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
    sync::{Mutex, Notify},
};

#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and MIME body), dot-unstuffed.
    pub data: String,
}

impl ReceivedMail {
    /// The message with quoted-printable soft breaks and escapes decoded: what a reader sees.
    pub fn text(&self) -> String {
        decode_quoted_printable(&self.data)
    }

    /// The subject as a reader sees it (RFC 2047 encoded words decoded, folds joined).
    pub fn subject(&self) -> String {
        decode_words(&self.header("Subject").unwrap_or_default())
    }

    /// A header's value, folded lines joined (the first occurrence, in the message headers).
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        let prefix = format!("{}:", name.to_ascii_lowercase());
        unfolded.lines().find_map(|l| {
            l.to_ascii_lowercase()
                .starts_with(&prefix)
                .then(|| l[prefix.len()..].trim().to_owned())
        })
    }

    /// The token of the first link to `path` (`.../path?token=XYZ`).
    pub fn link_token(&self, path: &str) -> Option<String> {
        let text = self.text();
        let needle = format!("{path}?token=");
        let start = text.find(&needle)? + needle.len();
        let token: String = text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        (!token.is_empty()).then_some(token)
    }
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?...?=`, `=?utf-8?q?...?=`) in a header value;
/// whitespace between two encoded words is dropped, as the RFC says.
fn decode_words(value: &str) -> String {
    use base64::Engine as _;
    let mut out = String::new();
    let mut rest = value;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, tail) = rest.split_at(start);
        let word = tail[2..].splitn(3, '?').collect::<Vec<_>>();
        let decoded = match word.as_slice() {
            [_charset, encoding, body] => body.find("?=").and_then(|end| {
                let text = &body[..end];
                let bytes = match encoding.to_ascii_lowercase().as_str() {
                    "b" => base64::engine::general_purpose::STANDARD.decode(text).ok(),
                    "q" => Some(decode_quoted_printable(&text.replace('_', " ")).into_bytes()),
                    _ => None,
                }?;
                let consumed = 2 + word[0].len() + 1 + encoding.len() + 1 + end + 2;
                Some((String::from_utf8_lossy(&bytes).into_owned(), consumed))
            }),
            _ => None,
        };
        match decoded {
            Some((text, consumed)) => {
                if !(last_was_word && before.trim().is_empty()) {
                    out.push_str(before);
                }
                out.push_str(&text);
                rest = &tail[consumed..];
                last_was_word = true;
            }
            None => {
                out.push_str(before);
                out.push_str("=?");
                rest = &tail[2..];
                last_was_word = false;
            }
        }
    }
    out.push_str(rest);
    out
}

fn decode_quoted_printable(s: &str) -> String {
    let unfolded = s.replace("=\r\n", "").replace("=\n", "");
    let bytes = unfolded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&unfolded[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[derive(Clone)]
pub struct SmtpSink {
    pub addr: SocketAddr,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
    arrived: Arc<Notify>,
    /// Scripted replies to `RCPT TO` per address, used up in order (then 250).
    scripted: Arc<Mutex<HashMap<String, Vec<String>>>>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("smtp bind: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("smtp addr: {e}"));
        let sink = Self {
            addr,
            mails: Arc::default(),
            arrived: Arc::default(),
            scripted: Arc::default(),
        };
        let accepting = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                // Replies are small writes: without NODELAY, delayed ACKs stall each command.
                let _ = stream.set_nodelay(true);
                let sink = accepting.clone();
                tokio::spawn(async move {
                    let _ = sink.converse(stream).await;
                });
            }
        });
        sink
    }

    async fn converse(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 sink.test ESMTP\r\n").await?;
        let (mut from, mut to) = (String::new(), Vec::new());
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let command = line.trim_end().to_owned();
            let upper = command.to_ascii_uppercase();
            if upper.starts_with("EHLO") {
                write
                    .write_all(b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                    .await?;
            } else if upper.starts_with("HELO") {
                write.write_all(b"250 sink.test\r\n").await?;
            } else if upper.starts_with("MAIL FROM:") {
                from = address(&command[10..]);
                to.clear();
                write.write_all(b"250 OK\r\n").await?;
            } else if upper.starts_with("RCPT TO:") {
                let rcpt = address(&command[8..]);
                let scripted = {
                    let mut all = self.scripted.lock().await;
                    all.get_mut(&rcpt)
                        .filter(|replies| !replies.is_empty())
                        .map(|replies| replies.remove(0))
                };
                match scripted {
                    Some(reply) => write.write_all(format!("{reply}\r\n").as_bytes()).await?,
                    None => {
                        to.push(rcpt);
                        write.write_all(b"250 OK\r\n").await?;
                    }
                }
            } else if upper == "DATA" {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    data.push_str(
                        line.strip_prefix('.')
                            .filter(|_| line.starts_with(".."))
                            .unwrap_or(&line),
                    );
                }
                self.mails.lock().await.push(ReceivedMail {
                    from: from.clone(),
                    to: to.clone(),
                    data,
                });
                self.arrived.notify_waiters();
                write.write_all(b"250 OK queued\r\n").await?;
            } else if upper == "QUIT" {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else if upper == "RSET" || upper == "NOOP" {
                write.write_all(b"250 OK\r\n").await?;
            } else {
                write.write_all(b"502 not implemented\r\n").await?;
            }
        }
    }

    /// The next `RCPT TO` for `to` get these replies (e.g. `451 4.3.0 try later`,
    /// `550 5.1.1 no such user`), one per attempt, then the usual 250.
    pub async fn script_rcpt(&self, to: &str, replies: &[&str]) {
        self.scripted.lock().await.insert(
            to.to_owned(),
            replies.iter().map(|r| (*r).to_owned()).collect(),
        );
    }

    /// Every mail received so far.
    pub async fn all(&self) -> Vec<ReceivedMail> {
        self.mails.lock().await.clone()
    }

    /// Mails received for `to`.
    pub async fn to(&self, to: &str) -> Vec<ReceivedMail> {
        self.mails
            .lock()
            .await
            .iter()
            .filter(|m| m.to.iter().any(|t| t == to))
            .cloned()
            .collect()
    }

    /// The latest mail to `to`, waiting up to 10 s for one to arrive.
    pub async fn wait_for(&self, to: &str) -> ReceivedMail {
        self.wait_for_count(to, 1).await
    }

    /// Waits until `to` has received `count` mails; returns the last.
    pub async fn wait_for_count(&self, to: &str, count: usize) -> ReceivedMail {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let notified = self.arrived.notified();
            let mails = self.to(to).await;
            if mails.len() >= count
                && let Some(last) = mails.last()
            {
                return last.clone();
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!(
                    "no mail #{count} for {to} within 10 s (got {})",
                    mails.len()
                );
            }
        }
    }
}

fn address(s: &str) -> String {
    s.trim()
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap_or_default()
        .to_owned()
}
