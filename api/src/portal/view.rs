//! Pages that only read: a template and the GraphQL queries whose data it shows, each run as
//! the signed-in person with the path's parameters (`{id}`) as variables. A query the role may
//! not read leaves its fields out of the page (the template shows nothing for them); a path
//! parameter that is not an id reads as not found, as another brand's object does.

use std::{collections::HashMap, net::SocketAddr, sync::Arc};

use axum::{
    extract::{ConnectInfo, FromRef, Path, Query, State},
    http::{HeaderMap, StatusCode, Uri},
    response::Response,
    routing::{MethodRouter, get},
};
use minijinja::{Value as Jinja, context};
use serde_json::{Map, Value};

use super::{
    Portal,
    auth::{PageQuery, visitor},
    dashboard::{failed, viewer},
    render::see_other,
    session::{Failure, Visitor},
};

/// A read-only page.
pub(super) struct View {
    pub template: &'static str,
    /// Queries run in order; their data's top-level fields are the template's variables.
    pub queries: &'static [&'static str],
    /// Queries run only when the page's query string has the parameter (a look-up form): the
    /// parameter is their variable; a refusal is shown as `lookup_error`.
    pub lookups: &'static [(&'static str, &'static str)],
}

/// The `GET` route of a [`View`].
pub(super) fn route<S>(view: &'static View) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<Portal>: FromRef<S>,
{
    get(
        move |State(portal): State<Arc<Portal>>,
              peer: ConnectInfo<SocketAddr>,
              params: Option<Path<HashMap<String, String>>>,
              Query(query): Query<HashMap<String, String>>,
              uri: Uri,
              headers: HeaderMap| async move {
            let params = params.map(|Path(p)| p).unwrap_or_default();
            show(&portal, view, &params, query, &uri, &headers, peer).await
        },
    )
}

/// Runs `view`'s queries as the visitor and renders its template.
pub(super) async fn show(
    portal: &Portal,
    view: &View,
    params: &HashMap<String, String>,
    query: HashMap<String, String>,
    uri: &Uri,
    headers: &HeaderMap,
    peer: ConnectInfo<SocketAddr>,
) -> Response {
    let mut v = visitor(portal, headers, peer, &PageQuery::of_map(&query));
    if !v.signed_in() {
        return see_other(&v, "/login");
    }
    match gather(portal, &mut v, view.queries, params).await {
        Ok((viewer, mut data)) => {
            for (param, lookup) in view.lookups {
                let Some(value) = query.get(*param).filter(|p| !p.trim().is_empty()) else {
                    continue;
                };
                let mut variables: serde_json::Map<String, Value> = params
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect();
                variables.insert((*param).to_owned(), Value::String(value.trim().to_owned()));
                let variables = Value::Object(variables);
                match v.run(portal, lookup, variables).await {
                    Ok(Value::Object(fields)) => data.extend(fields),
                    Ok(_) => {}
                    Err(f)
                        if matches!(f.code.as_str(), "NOT_FOUND" | "VALIDATION" | "FORBIDDEN") =>
                    {
                        data.insert("lookup_error".to_owned(), Value::String(f.text(v.lang)));
                    }
                    Err(f) => return failed(portal, &v, &f),
                }
            }
            let csrf = v.csrf(portal);
            let here = here(uri);
            portal.pages.page(
                &v,
                StatusCode::OK,
                view.template,
                context! {
                    csrf => csrf, viewer => viewer, path => params, q => query, here => here,
                    ..Jinja::from_serialize(&data)
                },
            )
        }
        Err(f) => failed(portal, &v, &f),
    }
}

/// The viewer, then every query's data merged; FORBIDDEN leaves a query's fields out.
pub(super) async fn gather(
    portal: &Portal,
    v: &mut Visitor,
    queries: &[&'static str],
    params: &HashMap<String, String>,
) -> Result<(Value, Map<String, Value>), Failure> {
    let viewer = viewer(portal, v).await?;
    let variables = Value::Object(
        params
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    );
    let mut data = Map::new();
    let mut forbidden = None;
    for query in queries {
        match v.run(portal, query, variables.clone()).await {
            Ok(Value::Object(fields)) => data.extend(fields),
            Ok(_) => {}
            Err(f) if f.code == "FORBIDDEN" => forbidden = Some(f),
            // An id that does not parse is as unknown as another brand's object.
            Err(f) if !params.is_empty() => return Err(f.for_path_id()),
            Err(f) => return Err(f),
        }
    }
    // A page none of whose parts the role may read is refused, not shown empty.
    if let Some(f) = forbidden.filter(|_| data.is_empty()) {
        return Err(f);
    }
    Ok((viewer, data))
}

/// The page's own path and query (without `done` and `lang`), for the forms that come back to
/// it.
pub(super) fn here(uri: &Uri) -> String {
    let kept: Vec<&str> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("done=") && !p.starts_with("lang="))
        .collect();
    if kept.is_empty() {
        uri.path().to_owned()
    } else {
        format!("{}?{}", uri.path(), kept.join("&"))
    }
}
