//! Applying a list query to the resources a caller may see: filters, sorting, pagination with
//! upstream's `*_links`, and `fields` projection.

use std::cmp::Ordering;

use neutrino_network::attrs::to_bool;
use neutrino_network::{Error, Kind, TagMatch, time};
use serde_json::{Map, Value};

use crate::query::ListQuery;

type Item = Map<String, Value>;

/// Checks the query against the resource's attributes before any work is done.
pub fn validate(kind: Kind, q: &ListQuery) -> Result<(), Error> {
    for (key, _) in &q.filters {
        let special = TAG_FILTERS.contains(&key.as_str()) || key == "changed_since";
        if !special && !kind.is_filter(key) {
            return Err(Error::bad_request(format!(
                "['{key}'] is invalid attribute for filtering"
            )));
        }
    }
    if q.filter("project_id").is_some() && q.filter("tenant_id").is_some() {
        return Err(Error::new(
            neutrino_network::Failure::Invalid,
            "TenantIdProjectIdFilterConflict",
            "Both tenant_id and project_id passed as filters.",
        ));
    }
    for (key, _) in &q.sort {
        if !kind.is_sort_key(key) {
            return Err(Error::bad_request(format!(
                "['{key}'] is invalid attribute for sort_keys"
            )));
        }
    }
    if let Some(values) = q.filter("changed_since") {
        for v in values {
            if time::parse_utc(v).is_none() {
                return Err(Error::bad_request(format!(
                    "Invalid input for changed_since. Reason: '{v}' is not a valid timestamp in format %Y-%m-%dT%H:%M:%S%z."
                )));
            }
        }
    }
    Ok(())
}

/// The tag filters, as upstream names them.
pub const TAG_FILTERS: [&str; 4] = ["tags", "tags-any", "not-tags", "not-tags-any"];

/// The tag filters of a query, for the store to apply with the `tags` table (exactly as
/// [`matches`] does).
pub fn tag_filters(q: &ListQuery) -> Vec<(TagMatch, Vec<String>)> {
    let how = [
        TagMatch::All,
        TagMatch::Any,
        TagMatch::NotAll,
        TagMatch::NotAny,
    ];
    TAG_FILTERS
        .iter()
        .zip(how)
        .filter_map(|(key, how)| {
            let values = q.filter(key)?;
            Some((
                how,
                tag_values(values).into_iter().map(String::from).collect(),
            ))
        })
        .collect()
}

/// The query with only the filters SQL does not apply exactly: tags, and columns that hold
/// their attribute (not NULL, the same value; [`neutrino_network::Kind`]'s table says which)
/// are left out. What remains runs in memory over the rows SQL selected.
pub fn not_in_sql(kind: Kind, q: &ListQuery) -> ListQuery {
    let mut rest = q.clone();
    rest.filters.retain(|(key, _)| {
        !TAG_FILTERS.contains(&key.as_str()) && kind.table().sort_column(key).is_none()
    });
    rest
}

/// Tag filter values may be repeated or comma separated.
fn tag_values(values: &[String]) -> Vec<&str> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .filter(|t| !t.is_empty())
        .collect()
}

fn item_tags(item: &Item) -> Vec<&str> {
    item.get("tags")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Does one attribute value match one filter value?
fn value_matches(key: &str, value: &Value, wanted: &str) -> Result<bool, Error> {
    Ok(match value {
        Value::String(s) if key == "mac_address" => s.eq_ignore_ascii_case(wanted),
        Value::String(s) => s == wanted,
        Value::Bool(b) => {
            let w = to_bool(&Value::String(wanted.to_string())).ok_or_else(|| {
                Error::bad_request(format!(
                    "Invalid input for {key}. Reason: '{wanted}' cannot be converted to boolean."
                ))
            })?;
            *b == w
        }
        Value::Number(n) => wanted
            .trim()
            .parse::<f64>()
            .is_ok_and(|w| n.as_f64() == Some(w)),
        Value::Null => wanted.is_empty() || wanted == "None",
        Value::Array(items) => items.iter().any(|i| i.as_str() == Some(wanted)),
        Value::Object(_) => false,
    })
}

/// The `fixed_ips=ip_address=…&fixed_ips=subnet_id=…` filter of ports.
fn fixed_ips_match(item: &Item, values: &[String]) -> Result<bool, Error> {
    let (mut ips, mut subnets, mut substrings) = (Vec::new(), Vec::new(), Vec::new());
    for v in values {
        let (k, val) = v.split_once('=').ok_or_else(|| {
            Error::bad_request(format!(
                "Invalid input for fixed_ips. Reason: '{v}' is not of the form <key>=[value]."
            ))
        })?;
        match k {
            "ip_address" => ips.push(val),
            "subnet_id" => subnets.push(val),
            "ip_address_substr" => substrings.push(val),
            _ => {
                return Err(Error::bad_request(format!(
                    "Invalid input for fixed_ips. Reason: '{k}' is not a valid fixed_ips filter."
                )));
            }
        }
    }
    let entries = item
        .get("fixed_ips")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    Ok(entries.iter().any(|e| {
        let ip = e["ip_address"].as_str().unwrap_or_default();
        let subnet = e["subnet_id"].as_str().unwrap_or_default();
        (ips.is_empty() || ips.contains(&ip))
            && (subnets.is_empty() || subnets.contains(&subnet))
            && (substrings.is_empty() || substrings.iter().any(|s| ip.contains(s)))
    }))
}

/// Does the item pass every filter of the query?
pub fn matches(item: &Item, q: &ListQuery) -> Result<bool, Error> {
    for (key, values) in &q.filters {
        let ok = match key.as_str() {
            "tags" => {
                let have = item_tags(item);
                tag_values(values).iter().all(|t| have.contains(t))
            }
            "tags-any" => {
                let have = item_tags(item);
                tag_values(values).iter().any(|t| have.contains(t))
            }
            "not-tags" => {
                let have = item_tags(item);
                !tag_values(values).iter().all(|t| have.contains(t))
            }
            "not-tags-any" => {
                let have = item_tags(item);
                !tag_values(values).iter().any(|t| have.contains(t))
            }
            "changed_since" => {
                let updated = item
                    .get("updated_at")
                    .and_then(Value::as_str)
                    .and_then(time::parse_utc)
                    .unwrap_or(0);
                values
                    .iter()
                    .filter_map(|v| time::parse_utc(v))
                    .all(|since| updated >= since)
            }
            "fixed_ips" => fixed_ips_match(item, values)?,
            _ => {
                let value = item.get(key.as_str()).unwrap_or(&Value::Null);
                let mut any = false;
                for v in values {
                    if value_matches(key, value, v)? {
                        any = true;
                        break;
                    }
                }
                any
            }
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Orders two attribute values: `null` first, strings case-insensitively (ASCII letters, as
/// MySQL collates and as the store's SQL order does), then exactly; numbers and booleans by
/// value.
fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        (Value::String(x), Value::String(y)) => x
            .to_ascii_lowercase()
            .cmp(&y.to_ascii_lowercase())
            .then_with(|| x.cmp(y)),
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .unwrap_or(0.0)
            .partial_cmp(&y.as_f64().unwrap_or(0.0))
            .unwrap_or(Ordering::Equal),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => a.to_string().cmp(&b.to_string()),
    }
}

fn id_of(item: &Item) -> &str {
    item.get("id").and_then(Value::as_str).unwrap_or_default()
}

/// A list response: the items and, when paginated, the links.
pub struct Page {
    pub items: Vec<Item>,
    pub links: Option<Vec<Value>>,
}

/// Filters, sorts, paginates and projects `items`. `base_url` is the request URL without query.
pub fn apply(
    kind: Kind,
    mut items: Vec<Item>,
    q: &ListQuery,
    base_url: &str,
) -> Result<Page, Error> {
    if !q.filters.is_empty() {
        let mut kept = Vec::with_capacity(items.len());
        for item in items {
            if matches(&item, q)? {
                kept.push(item);
            }
        }
        items = kept;
    }
    if !q.sort.is_empty() || q.limit.is_some() || q.marker.is_some() {
        items.sort_by(|a, b| {
            q.sort
                .iter()
                .map(|(key, asc)| {
                    let (x, y) = (
                        a.get(key.as_str()).unwrap_or(&Value::Null),
                        b.get(key.as_str()).unwrap_or(&Value::Null),
                    );
                    let o = if kind.numeric_strings().contains(&key.as_str()) {
                        let number = |v: &Value| v.as_str().and_then(|s| s.parse::<i64>().ok());
                        number(x).cmp(&number(y))
                    } else {
                        compare(x, y)
                    };
                    if *asc { o } else { o.reverse() }
                })
                .find(|o| o.is_ne())
                .unwrap_or_else(|| id_of(a).cmp(id_of(b)))
        });
    }
    let links = match q.limit {
        None => {
            if let Some(marker) = &q.marker {
                let at = position(kind, &items, marker)?;
                items = if q.page_reverse {
                    items.drain(..at).collect()
                } else {
                    items.drain(at + 1..).collect()
                };
            }
            None
        }
        Some(limit) => {
            let (start, end) = match (&q.marker, q.page_reverse) {
                (None, false) => (0, limit.min(items.len())),
                (None, true) => (items.len().saturating_sub(limit), items.len()),
                (Some(m), false) => {
                    let at = position(kind, &items, m)? + 1;
                    (at, (at + limit).min(items.len()))
                }
                (Some(m), true) => {
                    let at = position(kind, &items, m)?;
                    (at.saturating_sub(limit), at)
                }
            };
            items = items.drain(start..end).collect();
            Some(item_links(&items, limit, q, base_url))
        }
    };
    project(&mut items, q);
    Ok(Page { items, links })
}

/// A page the store already read in order, filtered and limited (see [`order_in_store`]):
/// its links and the `fields` projection.
pub fn finish(mut items: Vec<Item>, q: &ListQuery, base_url: &str) -> Page {
    let links = q.limit.map(|limit| item_links(&items, limit, q, base_url));
    project(&mut items, q);
    Page { items, links }
}

/// The order in which the store pages this list itself, with keyset queries: when it is
/// sorted, paged or has a marker, and every sort key is a column that orders as its attribute
/// ([`neutrino_network::Kind`]'s table's `sortable`; none: id order, as upstream pages).
/// `None`: unsorted and unpaged (oldest first), or sorted by an attribute that is not such a
/// column (a boolean, a number, `description`…), which is sorted in memory.
pub fn order_in_store(kind: Kind, q: &ListQuery) -> Option<Vec<(&'static str, bool)>> {
    if q.sort.is_empty() && q.limit.is_none() && q.marker.is_none() {
        return None;
    }
    q.sort
        .iter()
        .map(|(key, asc)| Some((kind.table().sort_column(key)?, !asc)))
        .collect()
}

fn project(items: &mut [Item], q: &ListQuery) {
    if !q.fields.is_empty() {
        for item in items {
            item.retain(|k, _| q.fields.iter().any(|f| f == k));
        }
    }
}

fn position(kind: Kind, items: &[Item], marker: &str) -> Result<usize, Error> {
    items
        .iter()
        .position(|i| id_of(i) == marker)
        .ok_or_else(|| kind.not_found(marker))
}

fn href(base_url: &str, q: &ListQuery, marker: Option<&str>, reverse: bool) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &q.pairs {
        if k != "marker" && k != "page_reverse" {
            ser.append_pair(k, v);
        }
    }
    if let Some(m) = marker {
        ser.append_pair("marker", m);
    }
    if reverse {
        ser.append_pair("page_reverse", "True");
    }
    format!("{base_url}?{}", ser.finish())
}

/// The links of a page of `count` items whose first and last have the ids `first` and `last`.
fn links(
    count: usize,
    (first, last): (Option<&str>, Option<&str>),
    limit: usize,
    q: &ListQuery,
    base_url: &str,
) -> Vec<Value> {
    let mut out = Vec::new();
    // A short page ends the walk in its own direction only.
    let short = count < limit;
    if !short || q.page_reverse {
        out.push(serde_json::json!({"rel": "next", "href": href(base_url, q, last, false)}));
    }
    if !short || !q.page_reverse {
        out.push(serde_json::json!({"rel": "previous", "href": href(base_url, q, first, true)}));
    }
    out
}

fn item_links(items: &[Item], limit: usize, q: &ListQuery, base_url: &str) -> Vec<Value> {
    let ends = (items.first().map(id_of), items.last().map(id_of));
    links(items.len(), ends, limit, q, base_url)
}

/// The links of a page of stored documents (see [`finish`]): only the first and the last are
/// read, for their ids.
pub fn stored_links(
    docs: &[String],
    limit: usize,
    q: &ListQuery,
    base_url: &str,
) -> Result<Vec<Value>, Error> {
    let id = |doc: Option<&String>| -> Result<Option<String>, Error> {
        let Some(doc) = doc else {
            return Ok(None);
        };
        let item: Item = serde_json::from_str(doc).map_err(|_| Error::internal())?;
        Ok(Some(id_of(&item).to_string()))
    };
    let (first, last) = (id(docs.first())?, id(docs.last())?);
    Ok(links(
        docs.len(),
        (first.as_deref(), last.as_deref()),
        limit,
        q,
        base_url,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn networks() -> Kind {
        neutrino_network::collection("networks").expect("networks are served")
    }

    fn items() -> Vec<Item> {
        ["b", "A", "c", "d"]
            .iter()
            .enumerate()
            .map(|(i, n)| {
                json!({"id": format!("id{i}"), "name": n, "admin_state_up": i % 2 == 0, "tags": if i < 2 { json!(["x", "y"]) } else { json!(["y"]) }, "mtu": 1450 + i})
                    .as_object()
                    .cloned()
                    .unwrap_or_default()
            })
            .collect()
    }

    fn run(query: &str) -> Page {
        let q = ListQuery::parse(query, -1).unwrap();
        validate(networks(), &q).unwrap();
        apply(networks(), items(), &q, "http://h/v2.0/networks").unwrap()
    }

    fn names(p: &Page) -> Vec<&str> {
        p.items
            .iter()
            .map(|i| i["name"].as_str().unwrap_or_default())
            .collect()
    }

    #[test]
    fn filters_or_within_a_key_and_across_keys() {
        assert_eq!(names(&run("name=b&name=c")), ["b", "c"]);
        assert_eq!(
            names(&run("name=b&name=c&admin_state_up=False")),
            Vec::<&str>::new()
        );
        assert_eq!(names(&run("admin_state_up=true")), ["b", "c"]);
        assert_eq!(names(&run("mtu=1451")), ["A"]);
        assert_eq!(names(&run("tags=x,y")), ["b", "A"]);
        assert_eq!(names(&run("not-tags=x")), ["c", "d"]);
        assert_eq!(names(&run("tags-any=x&tags-any=z")), ["b", "A"]);
        assert_eq!(names(&run("not-tags-any=x")), ["c", "d"]);
    }

    #[test]
    fn unknown_filters_and_sort_keys_are_rejected() {
        let q = ListQuery::parse("foo=1", -1).unwrap();
        assert_eq!(
            validate(networks(), &q).unwrap_err().message,
            "['foo'] is invalid attribute for filtering"
        );
        let q = ListQuery::parse("sort_key=foo", -1).unwrap();
        assert!(validate(networks(), &q).is_err());
        let q = ListQuery::parse("admin_state_up=maybe", -1).unwrap();
        assert!(apply(networks(), items(), &q, "u").is_err());
    }

    #[test]
    fn sorts_case_insensitively() {
        assert_eq!(names(&run("sort_key=name")), ["A", "b", "c", "d"]);
        assert_eq!(
            names(&run("sort_key=name&sort_dir=desc")),
            ["d", "c", "b", "A"]
        );
    }

    #[test]
    fn pages_forward_and_back_with_links() {
        let p = run("sort_key=name&limit=2");
        assert_eq!(names(&p), ["A", "b"]);
        let links = p.links.unwrap();
        assert_eq!(links.len(), 2);
        assert!(links[0]["href"].as_str().unwrap().contains("marker=id0"));
        let p = run("sort_key=name&limit=2&marker=id0");
        assert_eq!(names(&p), ["c", "d"]);
        let p = run("sort_key=name&limit=2&marker=id3");
        assert!(p.items.is_empty());
        let links = p.links.unwrap();
        assert_eq!(links.len(), 1);
        assert_eq!(links[0]["rel"], "previous");
        assert!(!links[0]["href"].as_str().unwrap().contains("marker"));
        let p = run("sort_key=name&limit=2&marker=id2&page_reverse=True");
        assert_eq!(names(&p), ["A", "b"]);
        let p = run("sort_key=name&limit=3&page_reverse=True");
        assert_eq!(names(&p), ["b", "c", "d"]);
    }

    #[test]
    fn unknown_marker_is_the_resource_not_found() {
        let q = ListQuery::parse("limit=1&marker=nope", -1).unwrap();
        let e = apply(networks(), items(), &q, "u").err().unwrap();
        assert_eq!(
            (e.failure, e.kind.as_ref()),
            (neutrino_network::Failure::NotFound, "NetworkNotFound")
        );
    }

    #[test]
    fn fields_project_after_paging() {
        let p = run("fields=name&sort_key=name&limit=1");
        assert_eq!(p.items[0].len(), 1);
        assert!(
            p.links.unwrap()[0]["href"]
                .as_str()
                .unwrap()
                .contains("marker=id1")
        );
    }
}
