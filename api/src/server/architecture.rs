//! The import rules of `api/src`, checked on every test run (README, "Architecture"):
//!
//! 1. `core` names no context and not `server`;
//! 2. a context names neither `server` nor another context's `store`, `graphql`, `http` or
//!    `jobs` (only its facade: the services that its `mod.rs` declares);
//! 3. contexts form no cycle;
//! 4. only `store` files and `core` may silence `clippy::disallowed_methods` (the lint that
//!    keeps raw SeaORM entry points, and so cross-brand queries, out of everything else);
//! 5. a context's services (everything but its `graphql` and `http` adapters) name neither the
//!    composition root `core::deps::Deps` nor `core::config`: they take `&TenantScope` and the
//!    narrow parts they use (`Base`, `Auth`, `Links`, `Post`), so none reads a setting it was
//!    not handed;
//! 6. a context does not hand on its own `store`, `graphql`, `http` or `jobs` through a `pub use`
//!    (its facade would open them to the others);
//! 7. the portal (an adapter, like the contexts' `graphql/`) names neither `server` nor a
//!    context's `store`, `graphql`, `http` or `jobs`: its pages run GraphQL operations in process
//!    or call facades;
//! 8. no `#[path]` module and no `include!`: source pulled in from elsewhere would escape the
//!    checks of the file it lands in.
//!
//! Size: over 500 lines on purpose: half of it is the checker's own tests, one per way round a
//! rule (aliases, groups, globs, macros, lint groups, re-exports).
//!
//! Each source file is parsed with `syn`: every `use` tree and every path that starts with
//! `crate` (or `super`, resolved against the file's module) is checked, wherever it appears.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

use syn::visit::Visit;

const CONTEXTS: &[&str] = &[
    "identity",
    "loyalty",
    "coalition",
    "community",
    "engagement",
    "analytics",
];
/// What a context keeps to itself.
const PRIVATE_PARTS: &[&str] = &["store", "graphql", "http", "jobs"];

/// The module path of a source file relative to `src/` (`loyalty/graphql/mod.rs` →
/// `["loyalty", "graphql"]`).
fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs");
        if !matches!(stem, "mod" | "lib" | "main") {
            parts.push(stem.to_owned());
        }
    }
    parts
}

/// Every `crate::…` path a file names, as segments after `crate` (super resolved).
#[derive(Default)]
struct Paths {
    module: Vec<String>,
    /// Names a `use` binds to a module path under `crate` (`use crate::identity;`,
    /// `use crate::identity as id;`, `use crate as root;`): a path starting with one of them is
    /// read as the full path.
    aliases: BTreeMap<String, Vec<String>>,
    found: BTreeSet<Vec<String>>,
    /// Paths a `pub use` (of any visibility but private) hands on.
    reexported: BTreeSet<Vec<String>>,
    /// Source pulled in from elsewhere (`#[path]` on a module, `include!`), which the checker
    /// would not see where it is used.
    escapes: Vec<String>,
    silences_disallowed: bool,
    /// Inside `#[cfg(test)] mod tests { … }` a `super` means the file itself, and tests may
    /// reach anywhere; they are not checked.
    in_test_module: usize,
}

impl Paths {
    fn absolute(&self, segments: &[String]) -> Option<Vec<String>> {
        // `self::super::x` is `super::x`.
        let segments = match segments.first().map(String::as_str) {
            Some("self") if segments.len() > 1 => &segments[1..],
            _ => segments,
        };
        match segments.first().map(String::as_str) {
            Some("crate") => Some(segments[1..].to_vec()),
            Some("super") => {
                let mut base = self.module.clone();
                let mut rest = segments;
                while rest.first().map(String::as_str) == Some("super") {
                    base.pop();
                    rest = &rest[1..];
                }
                base.extend(rest.iter().cloned());
                Some(base)
            }
            Some(first) if segments.len() > 1 => self.aliases.get(first).map(|base| {
                let mut path = base.clone();
                path.extend(segments[1..].iter().cloned());
                path
            }),
            _ => None,
        }
    }

    fn record(&mut self, segments: Vec<String>) {
        if self.in_test_module > 0 {
            return;
        }
        if let Some(path) = self.absolute(&segments) {
            self.found.insert(path);
        }
    }

    /// Remembers that `name` stands for `path` (when it is under `crate`).
    fn alias(&mut self, name: String, path: &[String]) {
        if let Some(full) = self.absolute(path) {
            self.aliases.insert(name, full);
        }
    }

    /// Paths written inside a macro's tokens (`format!`, `matches!`, `try_join!`...), which
    /// are not parsed as Rust: every `crate :: a :: b` (or alias) run of identifiers.
    fn macro_tokens(&mut self, tokens: &str) {
        let words: Vec<&str> = tokens.split_whitespace().collect();
        let mut i = 0;
        while i < words.len() {
            let mut path = vec![words[i].to_owned()];
            let mut j = i;
            while j + 2 < words.len()
                && words[j + 1] == "::"
                && words[j + 2]
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_')
            {
                path.push(words[j + 2].to_owned());
                j += 2;
            }
            if path.len() > 1 {
                self.record(path);
            }
            i = j + 1;
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut path = prefix.clone();
                if n.ident != "self" {
                    path.push(n.ident.to_string());
                }
                let bound = path.last().cloned().unwrap_or_default();
                self.alias(bound, &path);
                self.record(path);
            }
            syn::UseTree::Rename(r) => {
                let mut path = prefix.clone();
                path.push(r.ident.to_string());
                self.alias(r.rename.to_string(), &path);
                self.record(path);
            }
            syn::UseTree::Glob(_) => {
                let mut path = prefix.clone();
                path.push("*".to_owned());
                self.record(path);
            }
            syn::UseTree::Group(g) => {
                for item in &g.items {
                    self.use_tree(prefix, item);
                }
            }
        }
    }
}

/// `#[cfg(test)]` exactly (not `cfg(not(test))`, not `cfg(any(test, …))`).
fn is_test_module(m: &syn::ItemMod) -> bool {
    m.attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.meta
                .require_list()
                .is_ok_and(|l| l.tokens.to_string().trim() == "test")
    })
}

/// An attribute that could turn the raw-query lint off: `allow`/`expect`/`cfg_attr` naming it,
/// one of its groups (`clippy::all`, `clippy::style`) or every warning.
fn silences_disallowed(attr: &syn::Attribute) -> bool {
    let path = attr.path();
    if !(path.is_ident("expect") || path.is_ident("allow") || path.is_ident("cfg_attr")) {
        return false;
    }
    let Ok(list) = attr.meta.require_list() else {
        return false;
    };
    let tokens = list.tokens.to_string();
    let words: Vec<&str> = tokens
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .filter(|w| !w.is_empty())
        .collect();
    let compact = tokens.replace(' ', "");
    words.contains(&"warnings")
        || compact.contains("disallowed_methods")
        || compact.contains("clippy::all")
        || compact.contains("clippy::style")
}

/// The full paths a `use` tree names (`a::{b, c::d}` → `a::b`, `a::c::d`).
fn use_leaves(prefix: &mut Vec<String>, tree: &syn::UseTree, out: &mut Vec<Vec<String>>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_leaves(prefix, &p.tree, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let mut path = prefix.clone();
            if n.ident != "self" {
                path.push(n.ident.to_string());
            }
            out.push(path);
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix.clone();
            path.push(r.ident.to_string());
            out.push(path);
        }
        syn::UseTree::Glob(_) => {
            let mut path = prefix.clone();
            path.push("*".to_owned());
            out.push(path);
        }
        syn::UseTree::Group(g) => {
            for item in &g.items {
                use_leaves(prefix, item, out);
            }
        }
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
        if !matches!(item.vis, syn::Visibility::Inherited) && self.in_test_module == 0 {
            let mut leaves = Vec::new();
            use_leaves(&mut Vec::new(), &item.tree, &mut leaves);
            for leaf in leaves {
                // `pub use store::x` in `loyalty/mod.rs` is `self`-relative: read it from here.
                let full = self.absolute(&leaf).unwrap_or_else(|| {
                    let mut path = self.module.clone();
                    path.extend(leaf.into_iter().skip_while(|s| s == "self"));
                    path
                });
                self.reexported.insert(full);
            }
        }
        syn::visit::visit_item_use(self, item);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.record(segments);
        syn::visit::visit_path(self, path);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if item.attrs.iter().any(|a| a.path().is_ident("path")) {
            self.escapes.push(format!("#[path] on mod {}", item.ident));
        }
        let test = is_test_module(item);
        self.in_test_module += usize::from(test);
        syn::visit::visit_item_mod(self, item);
        self.in_test_module -= usize::from(test);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if mac
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "include")
        {
            self.escapes.push("include!".to_owned());
        }
        self.macro_tokens(&mac.tokens.to_string());
        syn::visit::visit_macro(self, mac);
    }

    fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
        if silences_disallowed(attr) {
            self.silences_disallowed = true;
        }
        syn::visit::visit_attribute(self, attr);
    }
}

/// Checks one file; returns the broken rules, and adds the file's context edges to `edges`.
fn check_file(
    relative: &Path,
    source: &str,
    edges: &mut BTreeMap<String, BTreeSet<String>>,
) -> Vec<String> {
    let name = relative.display().to_string();
    let file = match syn::parse_file(source) {
        Ok(file) => file,
        Err(e) => return vec![format!("{name}: does not parse: {e}")],
    };
    let mut paths = Paths {
        module: module_of(relative),
        ..Paths::default()
    };
    // Twice: the first pass learns the file's aliases, the second reads every path with them.
    paths.visit_file(&file);
    paths.found.clear();
    paths.reexported.clear();
    paths.escapes.clear();
    paths.silences_disallowed = false;
    paths.visit_file(&file);
    let top = paths.module.first().cloned().unwrap_or_default();
    let is_store = paths.module.last().is_some_and(|m| m == "store")
        || paths.module.iter().any(|m| m == "store");
    let mut broken = Vec::new();
    if paths.silences_disallowed && top != "core" && !is_store {
        broken.push(format!(
            "{name}: silences clippy::disallowed_methods, which only store files and core may do"
        ));
    }
    for escape in &paths.escapes {
        broken.push(format!(
            "{name}: {escape} pulls in source the import rules cannot follow"
        ));
    }
    if CONTEXTS.contains(&top.as_str()) {
        for path in &paths.reexported {
            let own_private = path.first() == Some(&top)
                && path
                    .get(1)
                    .is_some_and(|part| PRIVATE_PARTS.contains(&part.as_str()));
            // Inside the private part itself (`store/mod.rs` re-exporting its submodules) is
            // fine; handing it on from the facade is not.
            if own_private && paths.module.get(1) != path.get(1) {
                broken.push(format!(
                    "{name}: re-exports crate::{}, which would open its {} to other contexts",
                    path.join("::"),
                    path[1]
                ));
            }
        }
    }
    let is_adapter = top == "portal"
        || paths
            .module
            .get(1)
            .is_some_and(|m| m == "graphql" || m == "http");
    if top == "portal" {
        for path in &paths.found {
            let target = path.first().map(String::as_str).unwrap_or_default();
            if target == "server" {
                broken.push(format!(
                    "{name}: the portal names crate::{} (it gets what it needs from server, never \
                     the reverse)",
                    path.join("::")
                ));
            }
            if CONTEXTS.contains(&target)
                && path
                    .get(1)
                    .is_some_and(|part| PRIVATE_PARTS.contains(&part.as_str()))
            {
                broken.push(format!(
                    "{name}: the portal names crate::{}, a context's {}; pages run GraphQL \
                     operations or call facades",
                    path.join("::"),
                    path[1]
                ));
            }
        }
    }
    for path in &paths.found {
        let Some(target) = path.first().map(String::as_str) else {
            continue;
        };
        let shown = format!("crate::{}", path.join("::"));
        let names_the_whole = target == "core"
            && (path.get(1).is_some_and(|p| p == "config")
                || (path.get(1).is_some_and(|p| p == "deps")
                    && path.get(2).is_some_and(|p| p == "Deps" || p == "*")));
        if CONTEXTS.contains(&top.as_str()) && !is_adapter && names_the_whole {
            broken.push(format!(
                "{name}: a service names {shown}; take the narrow parts it uses instead"
            ));
        }
        if top == "core" && (CONTEXTS.contains(&target) || target == "server") {
            broken.push(format!("{name}: core names {shown}"));
        }
        if CONTEXTS.contains(&top.as_str()) {
            if target == "server" {
                broken.push(format!("{name}: a context names {shown}"));
            }
            if CONTEXTS.contains(&target) && target != top {
                edges
                    .entry(top.clone())
                    .or_default()
                    .insert(target.to_owned());
                if path
                    .get(1)
                    .is_some_and(|part| PRIVATE_PARTS.contains(&part.as_str()))
                {
                    broken.push(format!(
                        "{name}: names {shown}, another context's {}",
                        path[1]
                    ));
                }
            }
        }
    }
    broken
}

/// A cycle among contexts, if any (as a path `a → b → … → a`).
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn walk(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = walk(next, edges, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|start| walk(start, edges, &mut Vec::new(), &mut done))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_source_tree_keeps_the_import_rules() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    assert!(files.len() > 50, "found only {} files", files.len());
    let mut edges = BTreeMap::new();
    let mut broken = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap_or_default();
        let relative = file.strip_prefix(&src).unwrap_or(file);
        broken.extend(check_file(relative, &source, &mut edges));
    }
    if let Some(cycle) = find_cycle(&edges) {
        broken.push(format!("contexts form a cycle: {}", cycle.join(" → ")));
    }
    assert!(
        broken.is_empty(),
        "import rules broken:\n{}",
        broken.join("\n")
    );
    // The checker saw the contexts it guards (an empty graph would pass vacuously).
    assert!(edges.contains_key("loyalty") && edges.contains_key("engagement"));
}

#[cfg(test)]
mod checker {
    use std::{collections::BTreeMap, path::Path};

    fn broken(file: &str, source: &str) -> Vec<String> {
        super::check_file(Path::new(file), source, &mut BTreeMap::new())
    }

    #[test]
    fn core_naming_a_context_is_refused_in_a_use_group_and_in_an_expression() {
        assert_eq!(
            broken(
                "core/x.rs",
                "use crate::{core::error::AppError, loyalty::members};"
            )
            .len(),
            1
        );
        assert_eq!(
            broken("core/x.rs", "fn f() { crate::server::jobs::run(); }").len(),
            1
        );
        assert!(broken("core/x.rs", "use crate::core::{error::AppError, tenancy};").is_empty());
    }

    #[test]
    fn a_context_may_use_another_facade_but_not_its_store_or_graphql() {
        assert!(broken("loyalty/x.rs", "use crate::identity::brands::Brand;").is_empty());
        assert_eq!(
            broken("loyalty/x.rs", "use crate::identity::store as platform;").len(),
            1
        );
        assert_eq!(
            broken(
                "engagement/x.rs",
                "use crate::{loyalty::{graphql::members::Member}};"
            )
            .len(),
            1
        );
        assert_eq!(
            broken(
                "coalition/graphql/x.rs",
                "use super::super::super::loyalty::store;"
            )
            .len(),
            1
        );
        assert!(broken("loyalty/x.rs", "use crate::loyalty::store;").is_empty());
    }

    #[test]
    fn a_service_takes_narrow_parts_not_the_whole_or_the_configuration() {
        let whole = "use crate::core::deps::Deps; fn f(_: &Deps) {}";
        assert_eq!(broken("loyalty/members.rs", whole).len(), 1);
        assert_eq!(
            broken(
                "engagement/x.rs",
                "fn f(c: &crate::core::config::Config) -> bool { c.trust_forwarded_for }"
            )
            .len(),
            1
        );
        assert_eq!(
            broken("loyalty/x.rs", "use crate::core::{deps::*, config};").len(),
            2,
            "a glob and the configuration named in a group"
        );
        assert!(
            broken("loyalty/graphql/x.rs", whole).is_empty(),
            "adapters may"
        );
        assert!(
            broken("identity/http/x.rs", whole).is_empty(),
            "adapters may"
        );
        assert!(broken("core/x.rs", whole).is_empty(), "core may");
        assert!(
            broken(
                "loyalty/x.rs",
                "use crate::core::deps::{Base, Links}; fn f(_: &Base) {}"
            )
            .is_empty()
        );
    }

    #[test]
    fn a_facade_cannot_hand_on_its_store_nor_pull_source_from_elsewhere() {
        assert_eq!(
            broken("loyalty/mod.rs", "pub use store::members_of;").len(),
            1
        );
        assert_eq!(
            broken("loyalty/mod.rs", "pub(crate) use self::store::*;").len(),
            1
        );
        assert_eq!(
            broken(
                "loyalty/members.rs",
                "pub use crate::loyalty::graphql::Member as M;"
            )
            .len(),
            1
        );
        assert!(
            broken("loyalty/mod.rs", "use store::members_of;").is_empty(),
            "private use"
        );
        assert!(broken("loyalty/graphql/mod.rs", "pub use members::MemberQuery;").is_empty());
        assert!(broken("loyalty/mod.rs", "pub use members::enroll;").is_empty());
        assert_eq!(
            broken("loyalty/x.rs", "#[path = \"../identity/store.rs\"] mod s;").len(),
            1
        );
        assert_eq!(
            broken("loyalty/x.rs", "include!(\"../identity/store.rs\");").len(),
            1
        );
    }

    #[test]
    fn only_stores_and_core_silence_the_raw_query_lint() {
        let silenced = "#![expect(clippy::disallowed_methods, reason = \"x\")]";
        assert!(broken("loyalty/store.rs", silenced).is_empty());
        assert!(broken("core/tenancy.rs", silenced).is_empty());
        assert_eq!(broken("loyalty/members.rs", silenced).len(), 1);
        let on_item = "#[allow(clippy::disallowed_methods)] fn f() {}";
        assert_eq!(broken("engagement/graphql/mail.rs", on_item).len(), 1);
    }

    #[test]
    fn a_context_imported_whole_or_renamed_is_still_followed() {
        assert_eq!(
            broken(
                "loyalty/x.rs",
                "use crate::identity; fn f() { identity::store::x(); }"
            )
            .len(),
            1
        );
        assert_eq!(
            broken(
                "loyalty/x.rs",
                "use crate as root; fn f() { root::identity::store::x(); }"
            )
            .len(),
            1
        );
        assert_eq!(
            broken(
                "loyalty/a/b.rs",
                "use self::super::super::super::identity::store;"
            )
            .len(),
            1
        );
        // In a macro's tokens too.
        assert_eq!(
            broken(
                "engagement/x.rs",
                "fn f() { let _ = format!(\"{}\", crate::identity::store::x()); }"
            )
            .len(),
            1
        );
    }

    #[test]
    fn silencing_through_cfg_attr_or_lint_groups_is_refused() {
        for attr in [
            "#![cfg_attr(all(), allow(clippy::disallowed_methods))]",
            "#![allow(clippy::all)]",
            "#![expect(clippy::style)]",
            "#![allow(warnings)]",
        ] {
            assert_eq!(broken("loyalty/members.rs", attr).len(), 1, "{attr}");
        }
        assert!(
            broken(
                "loyalty/members.rs",
                "#![allow(clippy::too_many_arguments)]"
            )
            .is_empty()
        );
    }

    #[test]
    fn production_code_under_cfg_not_test_is_checked() {
        assert_eq!(
            broken(
                "core/x.rs",
                "#[cfg(not(test))] mod m { use crate::loyalty::store; }"
            )
            .len(),
            1
        );
    }

    #[test]
    fn test_modules_are_not_checked() {
        assert!(
            broken(
                "core/x.rs",
                "#[cfg(test)] mod tests { use crate::loyalty::store; }"
            )
            .is_empty()
        );
    }

    #[test]
    fn a_cycle_between_contexts_is_found() {
        let mut edges = BTreeMap::new();
        super::check_file(
            Path::new("loyalty/a.rs"),
            "use crate::engagement::x;",
            &mut edges,
        );
        assert!(super::find_cycle(&edges).is_none());
        super::check_file(
            Path::new("engagement/b.rs"),
            "use crate::identity::y;",
            &mut edges,
        );
        super::check_file(
            Path::new("identity/c.rs"),
            "use crate::loyalty::z;",
            &mut edges,
        );
        let cycle = super::find_cycle(&edges).unwrap_or_default();
        assert_eq!(cycle.len(), 4, "{cycle:?}");
        assert_eq!(cycle.first(), cycle.last());
    }
}
