//! The query string of a list request: filters, `fields`, sorting and pagination parameters,
//! parsed and checked as upstream's `api_common` does.

use neutrino_network::Error;

/// A parsed list query.
#[derive(Debug, Default, Clone)]
pub struct ListQuery {
    /// Filters in request order; a repeated key collects its values (they are ORed).
    pub filters: Vec<(String, Vec<String>)>,
    pub fields: Vec<String>,
    /// (key, ascending)
    pub sort: Vec<(String, bool)>,
    pub limit: Option<usize>,
    pub marker: Option<String>,
    pub page_reverse: bool,
    /// Every (key, value) pair as given, to rebuild pagination links.
    pub pairs: Vec<(String, String)>,
}

impl ListQuery {
    /// Parses a raw query string. `max_limit` is `pagination_max_limit` (-1: none).
    pub fn parse(raw: &str, max_limit: i64) -> Result<ListQuery, Error> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut q = ListQuery {
            pairs: pairs.clone(),
            ..Default::default()
        };
        let mut sort_keys = Vec::new();
        let mut sort_dirs = Vec::new();
        for (k, v) in pairs {
            match k.as_str() {
                "fields" => {
                    if !v.is_empty() && !q.fields.contains(&v) {
                        q.fields.push(v);
                    }
                }
                "sort_key" => sort_keys.push(v),
                "sort_dir" => sort_dirs.push(v),
                "limit" => {
                    let n = v
                        .trim()
                        .parse::<i64>()
                        .ok()
                        .filter(|n| *n >= 0)
                        .ok_or_else(|| {
                            Error::bad_request(format!(
                                "Limit must be an integer 0 or greater and not '{v}'"
                            ))
                        })?;
                    q.limit = (n > 0).then_some(n as usize);
                }
                "marker" => q.marker = Some(v),
                "page_reverse" => q.page_reverse = v.eq_ignore_ascii_case("true"),
                _ => match q.filters.iter_mut().find(|(fk, _)| *fk == k) {
                    Some((_, values)) => values.push(v),
                    None => q.filters.push((k, vec![v])),
                },
            }
        }
        if max_limit > 0 {
            let max = max_limit as usize;
            q.limit = Some(q.limit.map_or(max, |l| l.min(max)));
        }
        if !sort_dirs.is_empty() && sort_dirs.len() != sort_keys.len() {
            return Err(Error::bad_request(
                "The number of sort_keys and sort_dirs must be same",
            ));
        }
        for (i, key) in sort_keys.into_iter().enumerate() {
            let asc = match sort_dirs.get(i).map(String::as_str) {
                None | Some("asc") => true,
                Some("desc") => false,
                Some(other) => {
                    return Err(Error::bad_request(format!(
                        "{other} is invalid value for sort_dirs, valid values are: asc, desc"
                    )));
                }
            };
            q.sort.push((key, asc));
        }
        Ok(q)
    }

    /// The values of one filter, if given.
    pub fn filter(&self, key: &str) -> Option<&[String]> {
        self.filters
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_parts() {
        let q = ListQuery::parse(
            "name=a&name=b&fields=id&fields=name&fields=id&sort_key=name&sort_dir=desc&sort_key=id&sort_dir=asc&limit=2&marker=m&page_reverse=True",
            -1,
        )
        .unwrap();
        assert_eq!(
            q.filter("name"),
            Some(&["a".to_string(), "b".to_string()][..])
        );
        assert_eq!(q.fields, ["id", "name"]);
        assert_eq!(
            q.sort,
            [("name".to_string(), false), ("id".to_string(), true)]
        );
        assert_eq!(q.limit, Some(2));
        assert_eq!(q.marker.as_deref(), Some("m"));
        assert!(q.page_reverse);
    }

    #[test]
    fn rejects_bad_paging_and_sorting() {
        assert_eq!(
            ListQuery::parse("limit=-1", -1).unwrap_err().message,
            "Limit must be an integer 0 or greater and not '-1'"
        );
        assert!(ListQuery::parse("limit=x", -1).is_err());
        assert!(ListQuery::parse("sort_key=a&sort_key=b&sort_dir=asc", -1).is_err());
        assert!(ListQuery::parse("sort_key=a&sort_dir=up", -1).is_err());
    }

    #[test]
    fn limit_zero_means_no_paging_and_max_caps() {
        assert_eq!(ListQuery::parse("limit=0", -1).unwrap().limit, None);
        assert_eq!(ListQuery::parse("limit=500", 100).unwrap().limit, Some(100));
        assert_eq!(ListQuery::parse("", 100).unwrap().limit, Some(100));
    }
}
