//! A small GraphQL-over-HTTP client for tests.

use serde_json::{Value, json};

#[derive(Clone)]
pub struct Gql {
    http: reqwest::Client,
    url: String,
    token: Option<String>,
}

impl Gql {
    pub fn new(http: reqwest::Client, url: String, token: Option<String>) -> Self {
        Self { http, url, token }
    }

    /// Posts a query with variables; returns the JSON body whatever the status.
    pub async fn query(&self, query: &str, variables: Value) -> Value {
        self.post(json!({ "query": query, "variables": variables }))
            .await
            .1
    }

    /// Posts a raw JSON body; returns (status, body).
    pub async fn post(&self, body: Value) -> (u16, Value) {
        let mut request = self.http.post(&self.url).json(&body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let resp = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {} failed: {e}", self.url));
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}")),
        )
    }
}

/// `errors[0].extensions.code`, or "" when the response has no error.
pub fn code_of(resp: &Value) -> &str {
    resp["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

/// `errors[0].extensions.field`, or "".
pub fn field_of(resp: &Value) -> &str {
    resp["errors"][0]["extensions"]["field"]
        .as_str()
        .unwrap_or("")
}
