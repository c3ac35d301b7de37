//! The proxy itself: accept on loopback, draw a fault, forward to the upstream, apply it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderMap, HeaderValue, CONTENT_LENGTH};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::faults::{Dice, Fault, Plan, Stats};

type Body = BoxBody<Bytes, std::io::Error>;
type Upstream = Client<HttpConnector, Incoming>;

/// Hop-by-hop headers (RFC 9110, 7.6.1): about one connection, never forwarded.
const HOP: [&str; 6] = [
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "expect",
];

/// A running proxy; stops (with every connection it holds) when dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    dice: Arc<Dice>,
    task: tokio::task::JoinHandle<()>,
}

struct Shared {
    upstream: SocketAddr,
    client: Upstream,
    dice: Arc<Dice>,
}

impl FaultProxy {
    /// Listens on 127.0.0.1 (a free port) and forwards to `upstream`, which must be a loopback
    /// address: the proxy never sends anywhere else.
    pub async fn start(upstream: SocketAddr, plan: Plan) -> std::io::Result<FaultProxy> {
        if !upstream.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("upstream {upstream} is not a loopback address"),
            ));
        }
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let dice = Arc::new(Dice::new(plan));
        let shared = Arc::new(Shared {
            upstream,
            client: Client::builder(TokioExecutor::new()).build_http(),
            dice: dice.clone(),
        });
        let task = tokio::spawn(async move {
            // Connections live in this set, so dropping the proxy closes them all.
            let mut conns = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((tcp, _)) = accepted else { continue };
                        let shared = shared.clone();
                        conns.spawn(async move {
                            let svc = service_fn(move |req| handle(req, shared.clone()));
                            // An injected fault ends the connection with an error: expected.
                            let _ = http1::Builder::new().serve_connection(TokioIo::new(tcp), svc).await;
                        });
                    }
                    Some(_) = conns.join_next(), if !conns.is_empty() => {}
                }
            }
        });
        Ok(FaultProxy { addr, dice, task })
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What the proxy has done so far.
    pub fn stats(&self) -> &Stats {
        &self.dice.stats
    }

    /// Replaces the plan (and reseeds); counts are kept.
    pub fn set_plan(&self, plan: Plan) {
        self.dice.set(plan);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn io(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

fn strip_hop(h: &mut HeaderMap) {
    for name in HOP {
        h.remove(name);
    }
}

async fn handle(req: Request<Incoming>, shared: Arc<Shared>) -> Result<Response<Body>, std::io::Error> {
    let fault = shared.dice.draw();
    match &fault {
        // Returning an error makes hyper close the connection without an answer.
        Some(Fault::ResetBeforeRequest) => return Err(io("injected: reset before the request")),
        Some(Fault::Status { code, retry_after }) => {
            let mut r = Response::new(
                Full::new(Bytes::from_static(b"injected by nimbus-fault-proxy\n"))
                    .map_err(io)
                    .boxed(),
            );
            *r.status_mut() = StatusCode::from_u16(*code).map_err(io)?;
            if let Some(s) = retry_after {
                r.headers_mut().insert("retry-after", HeaderValue::from(*s));
            }
            // The request body is not read: close the connection rather than drain it.
            r.headers_mut().insert("connection", HeaderValue::from_static("close"));
            return Ok(r);
        }
        Some(Fault::Latency(d)) => tokio::time::sleep(*d).await,
        _ => {}
    }
    let (mut parts, body) = req.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.uri = format!("http://{}{}", shared.upstream, path)
        .parse::<Uri>()
        .map_err(io)?;
    strip_hop(&mut parts.headers);
    let answer = shared
        .client
        .request(Request::from_parts(parts, body))
        .await
        .map_err(io)?;
    let (mut parts, body) = answer.into_parts();
    strip_hop(&mut parts.headers);
    let announced = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let data = body.into_data_stream().map(|r| r.map_err(io));
    let body: Body = match fault {
        Some(Fault::LostResponse) => {
            // The server finished its work; the client never hears of it.
            let _ = data.collect::<Vec<_>>().await;
            return Err(io("injected: response lost"));
        }
        Some(Fault::ResetAfter { bytes }) if announced.is_none_or(|n| n > 2 * bytes) => framed(cut_after(data, bytes)),
        Some(f @ Fault::ResetAfter { .. }) => {
            shared.dice.give_back(&f);
            framed(data)
        }
        Some(Fault::Corrupt { at }) if announced.is_none_or(|n| n > at) => framed(flip_at(data, at)),
        Some(f @ Fault::Corrupt { .. }) => {
            shared.dice.give_back(&f);
            framed(data)
        }
        Some(Fault::Stall(d)) => framed(
            futures::stream::once(tokio::time::sleep(d))
                .filter_map(|_| async { None })
                .chain(data),
        ),
        Some(Fault::Bandwidth { bytes_per_sec }) => framed(data.then(move |chunk| async move {
            if let Ok(c) = &chunk {
                let secs = c.len() as f64 / bytes_per_sec.max(1) as f64;
                tokio::time::sleep(Duration::from_secs_f64(secs)).await;
            }
            chunk
        })),
        _ => framed(data),
    };
    Ok(Response::from_parts(parts, body))
}

fn framed(s: impl Stream<Item = std::io::Result<Bytes>> + Send + Sync + 'static) -> Body {
    BodyExt::boxed(StreamBody::new(s.map(|r| r.map(Frame::data))))
}

/// `data` with the lowest bit of the byte at offset `at` flipped.
fn flip_at(
    data: impl Stream<Item = std::io::Result<Bytes>> + Send + Sync + 'static,
    at: u64,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send + Sync + 'static {
    let mut pos = 0u64;
    data.map(move |chunk| {
        let c = chunk?;
        let start = pos;
        pos += c.len() as u64;
        if (start..pos).contains(&at) {
            let mut v = c.to_vec();
            v[(at - start) as usize] ^= 1;
            return Ok(Bytes::from(v));
        }
        Ok(c)
    })
}

/// Where a cut body is.
enum Cut {
    /// Still forwarding; bytes sent so far.
    Sending(u64),
    /// The cut point was reached: the next poll fails.
    Reached,
    /// Failed; nothing more.
    Done,
}

/// The first `cut` bytes of `data`, then an error, which makes hyper reset the connection.
/// Never a clean end after the cut: with chunked encoding a clean end sends the final chunk,
/// and the client would take the cut body for a whole one.
fn cut_after(
    data: impl Stream<Item = std::io::Result<Bytes>> + Send + Sync + 'static,
    cut: u64,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send + Sync + 'static {
    futures::stream::unfold((Box::pin(data), Cut::Sending(0)), move |(mut data, state)| async move {
        let sent = match state {
            Cut::Done => return None,
            Cut::Reached => return Some((Err(io("injected: reset mid-body")), (data, Cut::Done))),
            Cut::Sending(n) => n,
        };
        match data.next().await {
            Some(Ok(c)) if sent + c.len() as u64 >= cut => {
                let head = c.slice(..(cut - sent) as usize);
                Some((Ok(head), (data, Cut::Reached)))
            }
            Some(Ok(c)) => {
                let n = c.len() as u64;
                Some((Ok(c), (data, Cut::Sending(sent + n))))
            }
            Some(Err(e)) => Some((Err(e), (data, Cut::Done))),
            // The upstream body ended before the cut point (its length was not announced):
            // cut here instead.
            None => Some((Err(io("injected: reset at the end of the body")), (data, Cut::Done))),
        }
    })
}
