//! What every document is checked for before it runs, in one place:
//!
//! - **depth** of the selections, counted after fragment expansion, with introspection
//!   (`__schema`, `__type`) exempt so that GraphiQL's, Apollo's and codegen tools' standard
//!   introspection query works (it is bounded by the recursion limit instead);
//! - **aliases**, counted after fragment expansion: a fragment of 15 aliases spread 15 times is
//!   225, not 15 (aliases multiply work without adding depth);
//! - **text**: no control character in any string input (literals and variables), except tab,
//!   line feed and carriage return. PostgreSQL refuses NUL in text and SQLite would store it; the
//!   same input now gets the same typed VALIDATION error on both, before anything runs.
//!
//! Fragment counts are memoised and cycles cut, so a hostile document costs linear time here
//! (validation then refuses the cycle).

use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    ErrorExtensionValues, Name, ServerError, ServerResult, Value as ConstValue, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery},
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};
use async_graphql_value::Value;

/// The document limits of the schema.
pub struct DocumentLimits {
    pub max_depth: usize,
    pub max_aliases: usize,
}

impl ExtensionFactory for DocumentLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(DocumentLimitsExtension {
            max_depth: self.max_depth,
            max_aliases: self.max_aliases,
        })
    }
}

struct DocumentLimitsExtension {
    max_depth: usize,
    max_aliases: usize,
}

fn refusal(message: String, code: &str, field: Option<String>) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", code);
    if let Some(field) = field {
        ext.set("field", field);
    }
    error.extensions = Some(ext);
    error
}

#[async_trait::async_trait]
impl Extension for DocumentLimitsExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if let Some(path) = const_control(variables.iter(), "variables") {
            return Err(refusal(
                format!("{path} contains a control character"),
                "VALIDATION",
                Some(path),
            ));
        }
        let document = next.run(ctx, query, variables).await?;
        if let Some(path) = document_control(&document) {
            return Err(refusal(
                format!("{path} contains a control character"),
                "VALIDATION",
                Some(path),
            ));
        }
        let mut walk = Walk {
            document: &document,
            memo: HashMap::new(),
            stack: Vec::new(),
        };
        for (_, operation) in document.operations.iter() {
            let (aliases, depth) = walk.set(&operation.node.selection_set.node);
            if depth > self.max_depth {
                return Err(refusal(
                    format!(
                        "Query is nested too deep: {depth} (at most {})",
                        self.max_depth
                    ),
                    "BAD_REQUEST",
                    None,
                ));
            }
            if aliases > self.max_aliases {
                return Err(refusal(
                    format!("too many aliases: {aliases} (at most {})", self.max_aliases),
                    "BAD_REQUEST",
                    None,
                ));
            }
        }
        Ok(document)
    }
}

/// Counts aliases and depth of selection sets, fragments expanded (memoised, cycles cut).
struct Walk<'a> {
    document: &'a ExecutableDocument,
    memo: HashMap<Name, (usize, usize)>,
    stack: Vec<Name>,
}

impl Walk<'_> {
    /// (aliases, depth) of a selection set.
    fn set(&mut self, set: &SelectionSet) -> (usize, usize) {
        let (mut aliases, mut depth) = (0_usize, 0_usize);
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let f = &f.node;
                    if f.name.node.starts_with("__") {
                        // Introspection: exempt from depth; its aliases still count.
                        aliases = aliases.saturating_add(usize::from(f.alias.is_some()));
                        continue;
                    }
                    let (a, d) = self.set(&f.selection_set.node);
                    aliases = aliases
                        .saturating_add(a)
                        .saturating_add(usize::from(f.alias.is_some()));
                    depth = depth.max(d.saturating_add(1));
                }
                Selection::InlineFragment(f) => {
                    let (a, d) = self.set(&f.node.selection_set.node);
                    aliases = aliases.saturating_add(a);
                    depth = depth.max(d);
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    let (a, d) = self.fragment(name);
                    aliases = aliases.saturating_add(a);
                    depth = depth.max(d);
                }
            }
        }
        (aliases, depth)
    }

    fn fragment(&mut self, name: &Name) -> (usize, usize) {
        if let Some(known) = self.memo.get(name) {
            return *known;
        }
        if self.stack.contains(name) {
            // A cycle: validation refuses the document; count nothing more here.
            return (0, 0);
        }
        let document = self.document;
        let Some(fragment) = document.fragments.get(name) else {
            return (0, 0);
        };
        self.stack.push(name.clone());
        let counted = self.set(&fragment.node.selection_set.node);
        self.stack.pop();
        self.memo.insert(name.clone(), counted);
        counted
    }
}

/// Whether a string holds a control character other than tab, line feed and carriage return.
fn has_control(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// The path of the first string with a control character among variables.
fn const_control<'a>(
    items: impl Iterator<Item = (&'a Name, &'a ConstValue)>,
    prefix: &str,
) -> Option<String> {
    for (name, value) in items {
        let path = format!("{prefix}.{name}");
        if has_control(name) {
            return Some(path);
        }
        if let Some(found) = const_value_control(value, &path) {
            return Some(found);
        }
    }
    None
}

fn const_value_control(value: &ConstValue, path: &str) -> Option<String> {
    match value {
        ConstValue::String(s) if has_control(s) => Some(path.to_owned()),
        ConstValue::List(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| const_value_control(v, &format!("{path}.{i}"))),
        ConstValue::Object(fields) => const_control(fields.iter(), path),
        _ => None,
    }
}

fn value_control(value: &Value, path: &str) -> Option<String> {
    match value {
        Value::String(s) if has_control(s) => Some(path.to_owned()),
        Value::List(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| value_control(v, &format!("{path}.{i}"))),
        Value::Object(fields) => fields.iter().find_map(|(k, v)| {
            let path = format!("{path}.{k}");
            if has_control(k) {
                Some(path)
            } else {
                value_control(v, &path)
            }
        }),
        _ => None,
    }
}

/// The first argument literal of the document holding a control character.
fn document_control(document: &ExecutableDocument) -> Option<String> {
    fn in_set(set: &SelectionSet) -> Option<String> {
        for item in &set.items {
            let found = match &item.node {
                Selection::Field(f) => {
                    let f = &f.node;
                    f.arguments
                        .iter()
                        .find_map(|(name, value)| {
                            value_control(&value.node, &format!("{}.{}", f.name.node, name.node))
                        })
                        .or_else(|| {
                            f.directives.iter().find_map(|d| {
                                d.node.arguments.iter().find_map(|(name, value)| {
                                    value_control(&value.node, &name.node)
                                })
                            })
                        })
                        .or_else(|| in_set(&f.selection_set.node))
                }
                Selection::InlineFragment(f) => in_set(&f.node.selection_set.node),
                Selection::FragmentSpread(_) => None,
            };
            if found.is_some() {
                return found;
            }
        }
        None
    }
    for (_, operation) in document.operations.iter() {
        for variable in &operation.node.variable_definitions {
            if let Some(default) = &variable.node.default_value
                && let Some(found) = const_value_control(
                    &default.node,
                    &format!("variables.{}", variable.node.name.node),
                )
            {
                return Some(found);
            }
        }
        if let Some(found) = in_set(&operation.node.selection_set.node) {
            return Some(found);
        }
    }
    document
        .fragments
        .values()
        .find_map(|f| in_set(&f.node.selection_set.node))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(query: &str) -> Vec<(usize, usize)> {
        let document = async_graphql::parser::parse_query(query).unwrap_or_else(|e| panic!("{e}"));
        let mut walk = Walk {
            document: &document,
            memo: HashMap::new(),
            stack: Vec::new(),
        };
        document
            .operations
            .iter()
            .map(|(_, op)| walk.set(&op.node.selection_set.node))
            .collect()
    }

    #[test]
    fn aliases_are_counted_after_fragment_expansion() {
        let fifteen: String = (0..15)
            .map(|i| format!("a{i}: viewer {{ role }} "))
            .collect();
        let spreads: String = (0..15)
            .map(|i| format!("s{i}: viewer {{ ...F }} "))
            .collect();
        let query = format!("query {{ {spreads} }} fragment F on Viewer {{ {fifteen} }}");
        assert_eq!(counts(&query), [(15 + 15 * 15, 3)]);
    }

    #[test]
    fn introspection_is_exempt_from_depth_but_the_rest_is_not() {
        assert_eq!(
            counts("{ __schema { types { fields { type { ofType { ofType { name } } } } } } }"),
            [(0, 0)]
        );
        assert_eq!(counts("{ a { b { c } } }"), [(0, 3)]);
        // A fragment cycle counts once and ends.
        assert_eq!(
            counts("{ a { ...F } } fragment F on A { b { ...F } }"),
            [(0, 2)]
        );
    }

    #[test]
    fn control_characters_are_found_in_literals_and_variables() {
        assert!(has_control("a\u{0}b"));
        assert!(has_control("a\u{1b}b"));
        assert!(!has_control("line\nnext\ttab\r"));
        let document =
            async_graphql::parser::parse_query("mutation { x(input: { name: \"a\\u0000b\" }) }")
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(document_control(&document).as_deref(), Some("x.input.name"));
        let vars = Variables::from_json(serde_json::json!({ "i": { "k": ["ok", "b\u{7}"] } }));
        assert_eq!(
            const_control(vars.iter(), "variables").as_deref(),
            Some("variables.i.k.1")
        );
    }
}
