//! Relay-style connections (`first`/`after`, `edges`, `pageInfo`) over keyset pages. Cursors are
//! opaque: base64url of the row's time-ordered id.

use async_graphql::{
    OutputType,
    connection::{Connection, Edge},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use uuid::Uuid;

use crate::core::{
    error::AppError,
    page::{DEFAULT_PAGE, MAX_PAGE, Page, PageRequest},
};

/// Parses `first` (1 to 100, default 20) and `after`.
pub fn page_request(first: Option<i32>, after: Option<String>) -> Result<PageRequest, AppError> {
    let first = match first {
        None => DEFAULT_PAGE,
        Some(n) if n >= 1 && i64::from(n) <= MAX_PAGE as i64 => n.unsigned_abs().into(),
        Some(_) => {
            return Err(AppError::validation(
                "first",
                format!("must be between 1 and {MAX_PAGE}"),
            ));
        }
    };
    let after = after.map(|c| decode_cursor(&c)).transpose()?;
    Ok(PageRequest { first, after })
}

pub fn encode_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

fn decode_cursor(cursor: &str) -> Result<Uuid, AppError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| Uuid::from_slice(&bytes).ok())
        .ok_or_else(|| AppError::validation("after", "is not a cursor of this list"))
}

/// Builds a connection from a page, mapping each row to its GraphQL node.
pub fn connection<M, N: OutputType>(
    page: Page<M>,
    had_cursor: bool,
    id: impl Fn(&M) -> Uuid,
    node: impl Fn(M) -> N,
) -> Connection<String, N> {
    let mut connection = Connection::new(had_cursor, page.has_next_page);
    connection.edges.extend(
        page.items
            .into_iter()
            .map(|m| Edge::new(encode_cursor(id(&m)), node(m))),
    );
    connection
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_is_capped_and_cursors_round_trip() {
        assert!(page_request(Some(0), None).is_err());
        assert!(page_request(Some(101), None).is_err());
        assert!(page_request(Some(-5), None).is_err());
        assert_eq!(page_request(None, None).map(|p| p.first).ok(), Some(20));
        assert_eq!(
            page_request(Some(100), None).map(|p| p.first).ok(),
            Some(100)
        );
        let id = Uuid::now_v7();
        assert_eq!(
            page_request(None, Some(encode_cursor(id)))
                .ok()
                .and_then(|p| p.after),
            Some(id)
        );
        assert!(page_request(None, Some("not-a-cursor".into())).is_err());
    }
}
