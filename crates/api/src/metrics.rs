//! The API's own metrics: requests by route template (never the raw path, which has ids in it
//! and would give every resource a series of its own), method and status, and their latency.

use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The route a request matched (`/v2.0/ports/{port_id}`), carried from routing to the
/// outermost layer, which sees every request including those no route matched.
#[derive(Clone)]
pub(crate) struct RouteTemplate(String);

/// Label of requests no route matched: one series for all of them.
const UNMATCHED: &str = "unmatched";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
}

#[derive(Clone)]
struct LatencyBuckets;

impl MetricConstructor<Histogram> for LatencyBuckets {
    fn new_metric(&self) -> Histogram {
        // 0.5 ms … 4 s: a cached list answers in well under a millisecond, a large bulk
        // create in seconds.
        Histogram::new(exponential_buckets(0.0005, 2.0, 14))
    }
}

/// The HTTP metrics and the registry they live in.
pub(crate) struct HttpMetrics {
    pub(crate) registry: Registry,
    requests: Family<RequestLabels, Counter>,
    duration: Family<RouteLabels, Histogram, LatencyBuckets>,
}

impl HttpMetrics {
    pub(crate) fn new() -> HttpMetrics {
        let mut registry = Registry::with_prefix("neutrino_http");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "Requests answered, by route template, method and status",
            requests.clone(),
        );
        let duration = Family::new_with_constructor(LatencyBuckets);
        registry.register(
            "request_duration_seconds",
            "Time from the request's arrival to its answer, by route template and method",
            duration.clone(),
        );
        HttpMetrics {
            registry,
            requests,
            duration,
        }
    }

    pub(crate) fn observe(&self, resp: &Response, method: &str, elapsed: Duration) {
        let route = resp
            .extensions()
            .get::<RouteTemplate>()
            .map_or(UNMATCHED, |r| r.0.as_str());
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_string(),
                method: method.to_string(),
                status: resp.status().as_u16(),
            })
            .inc();
        self.duration
            .get_or_create(&RouteLabels {
                route: route.to_string(),
                method: method.to_string(),
            })
            .observe(elapsed.as_secs_f64());
    }
}

/// A route layer: hands the matched route template to [`HttpMetrics::observe`].
pub(crate) async fn mark_route(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| RouteTemplate(with_collection(p.as_str(), req.uri().path())));
    let mut resp = next.run(req).await;
    if let Some(route) = route {
        resp.extensions_mut().insert(route);
    }
    resp
}

/// The resources share their routes (`/v2.0/{coll}/{id}`); a series per resource kind is what
/// an operator wants, so a known collection name replaces `{coll}`. Unknown names stay
/// `{coll}`: a client cannot create series by inventing paths.
fn with_collection(template: &str, path: &str) -> String {
    if !template.contains("{coll}") {
        return template.to_string();
    }
    template
        .split('/')
        .zip(path.split('/').chain(std::iter::repeat("")))
        .map(|(t, p)| match t {
            "{coll}" if neutrino_network::collection(p).is_some() => p,
            _ => t,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::with_collection;

    #[test]
    fn known_collections_name_their_routes() {
        assert_eq!(
            with_collection("/v2.0/{coll}/{id}", "/v2.0/ports/3f0e"),
            "/v2.0/ports/{id}"
        );
        assert_eq!(
            with_collection("/v2.0/{coll}", "/v2.0/made-up"),
            "/v2.0/{coll}"
        );
        assert_eq!(
            with_collection("/v2.0/networks/{id}", "/v2.0/networks/x"),
            "/v2.0/networks/{id}"
        );
    }
}
