//! Permission strings, permission sets and the gateway's two scope matchers.

use std::borrow::{Borrow, Cow};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The wildcard permission: grants everything, in a role and in a token scope.
pub const WILDCARD: &str = "*";

/// `servers.use`, the transport permission for `/rpc`, `/mcp` and `/servers/{id}/mcp|sse|message`.
pub const SERVERS_USE: &str = "servers.use";

/// Categories whose permissions imply [`SERVERS_USE`] in a token scope (`Permissions.MCP_METHOD_PREFIXES` in
/// `mcpgateway/db.py`).
const MCP_METHOD_PREFIXES: [&str; 3] = ["tools.", "resources.", "prompts."];

/// One ContextForge permission string, kept verbatim (`gateways.create`, `logs:read`, `tools.*`, `*`).
///
/// Parsing accepts any non-empty string without whitespace or control characters, because a newer gateway may
/// add permissions this crate has never heard of: such strings are preserved and flagged (see
/// [`Catalogue::is_known`](crate::Catalogue::is_known)), never dropped. [`Permission::shape`] tells a wildcard,
/// a category wildcard and a plain action apart; [`Permission::is_requestable`] says whether `POST /v1/tokens`
/// accepts it.
///
/// ```
/// use mcpfleet_scope_audit::{Permission, PermissionShape};
///
/// let p: Permission = "gateways.create".parse()?;
/// assert_eq!(p.to_string(), "gateways.create");
/// assert_eq!(p.category(), Some("gateways"));
/// assert_eq!("*".parse::<Permission>()?.shape(), PermissionShape::Wildcard);
/// assert!(!"tools.*".parse::<Permission>()?.is_requestable()); // the token API answers 422
/// assert!("tools read".parse::<Permission>().is_err());
/// # Ok::<(), mcpfleet_scope_audit::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Permission(String);

/// What kind of permission string a [`Permission`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PermissionShape {
    /// `*`: everything.
    Wildcard,
    /// `<category>.*`: every permission whose text before the first `.` is the category.
    CategoryWildcard,
    /// Anything else, matched exactly (`tools.read`, `logs:read`, `admin.sso_providers:create`).
    Action,
}

impl Permission {
    /// Parses a permission string; see the type docs for what is accepted.
    pub fn parse(value: &str) -> Result<Self> {
        if value.is_empty() {
            return Err(Error::InvalidPermission {
                value: value.to_owned(),
                reason: "it is empty",
            });
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::InvalidPermission {
                value: value.to_owned(),
                reason: "it contains whitespace or control characters",
            });
        }
        Ok(Self(value.to_owned()))
    }

    /// The wildcard `*`.
    pub fn wildcard() -> Self {
        Self(WILDCARD.to_owned())
    }

    /// Built-in tables use this; their strings are checked by a unit test.
    pub(crate) fn from_static(value: &'static str) -> Self {
        Self(value.to_owned())
    }

    /// The string, verbatim.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Wildcard, category wildcard or action.
    pub fn shape(&self) -> PermissionShape {
        if self.0 == WILDCARD {
            PermissionShape::Wildcard
        } else if self.0.ends_with(".*") && self.0.len() > 2 {
            PermissionShape::CategoryWildcard
        } else {
            PermissionShape::Action
        }
    }

    /// The text before the first `.`, which is what `<category>.*` matches against (`rbac.py::token_scope_grants`
    /// uses `permission.partition(".")`). `None` when there is no `.` (`logs:read`, `*`).
    pub fn category(&self) -> Option<&str> {
        if self.0 == WILDCARD {
            return None;
        }
        self.0.split_once('.').map(|(category, _)| category)
    }

    /// Whether `POST /v1/tokens` accepts this string in `scope.permissions`: `*`, or
    /// `^[a-zA-Z][a-zA-Z0-9_]*[.:][a-zA-Z][a-zA-Z0-9_]*$` (`schemas.py::TokenScopeRequest`). `tools.*` is refused
    /// with 422 although the scope matcher understands it.
    pub fn is_requestable(&self) -> bool {
        if self.0 == WILDCARD {
            return true;
        }
        let Some(split) = self.0.find(['.', ':']) else {
            return false;
        };
        let (head, tail) = (&self.0[..split], &self.0[split + 1..]);
        identifier(head) && identifier(tail)
    }

    /// Whether holding this permission in a token scope implies `servers.use` (a `tools.`, `resources.` or
    /// `prompts.` permission). The gateway adds `servers.use` to such tokens when it issues them.
    pub fn implies_servers_use(&self) -> bool {
        MCP_METHOD_PREFIXES
            .iter()
            .any(|prefix| self.0.starts_with(prefix))
    }

    /// Whether `self`, held in a role or in a scope under the standard matcher, covers `other`.
    fn covers_standard(&self, other: &Permission) -> bool {
        match self.shape() {
            PermissionShape::Wildcard => true,
            PermissionShape::CategoryWildcard => {
                let category = &self.0[..self.0.len() - 2];
                self == other || other.category() == Some(category)
            }
            PermissionShape::Action => self == other,
        }
    }
}

/// `[a-zA-Z][a-zA-Z0-9_]*`
fn identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl FromStr for Permission {
    type Err = Error;

    fn from_str(value: &str) -> Result<Self> {
        Self::parse(value)
    }
}

impl TryFrom<String> for Permission {
    type Error = Error;

    fn try_from(value: String) -> Result<Self> {
        Self::parse(&value)
    }
}

impl From<Permission> for String {
    fn from(permission: Permission) -> Self {
        permission.0
    }
}

// Sound: `Eq`, `Ord` and `Hash` are derived from the one `String` field, so they agree with `str`'s.
impl Borrow<str> for Permission {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Permission {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl JsonSchema for Permission {
    fn schema_name() -> Cow<'static, str> {
        "Permission".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "minLength": 1,
            "pattern": "^\\S+$",
            "description": "A ContextForge permission, verbatim: `resource.action` (e.g. `gateways.create`), \
                            `category:action`, `<category>.*` or the wildcard `*`.",
        })
    }
}

/// A sorted set of permissions (sorted so that reports and snapshots are stable).
///
/// Set algebra is plain string algebra; to ask whether the set *grants* something, use [`PermissionSet::covers`]
/// (role semantics) or [`TokenScope`] (scope semantics).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct PermissionSet(BTreeSet<Permission>);

impl PermissionSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses each string; the first bad one is the error.
    pub fn parse<I, S>(values: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        values
            .into_iter()
            .map(|value| Permission::parse(value.as_ref()))
            .collect()
    }

    pub(crate) fn from_static(values: &[&'static str]) -> Self {
        values
            .iter()
            .copied()
            .map(Permission::from_static)
            .collect()
    }

    /// Adds a permission; `true` if it was new.
    pub fn insert(&mut self, permission: Permission) -> bool {
        self.0.insert(permission)
    }

    /// Removes a permission; `true` if it was there.
    pub fn remove(&mut self, permission: &Permission) -> bool {
        self.0.remove(permission)
    }

    /// Exact membership (no wildcard expansion).
    pub fn contains(&self, permission: &Permission) -> bool {
        self.0.contains(permission)
    }

    /// Exact membership by string.
    pub fn contains_str(&self, permission: &str) -> bool {
        self.0.contains(permission)
    }

    /// Whether the set holds `*`.
    pub fn has_wildcard(&self) -> bool {
        self.contains_str(WILDCARD)
    }

    /// Role semantics (`permission_service.py::check_permission`: `permission in perms or "*" in perms`): the
    /// permission itself, or `*`. A `<category>.*` held by a role covers nothing but itself.
    pub fn covers(&self, permission: &Permission) -> bool {
        self.contains(permission) || self.has_wildcard()
    }

    /// Number of permissions.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterates in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = &Permission> {
        self.0.iter()
    }

    /// `self ∪ other`.
    pub fn union(&self, other: &Self) -> Self {
        self.0.union(&other.0).cloned().collect()
    }

    /// `self ∩ other`.
    pub fn intersection(&self, other: &Self) -> Self {
        self.0.intersection(&other.0).cloned().collect()
    }

    /// `self \ other`.
    pub fn difference(&self, other: &Self) -> Self {
        self.0.difference(&other.0).cloned().collect()
    }

    /// `self ⊆ other`.
    pub fn is_subset(&self, other: &Self) -> bool {
        self.0.is_subset(&other.0)
    }

    /// The permissions as strings, sorted.
    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl Extend<Permission> for PermissionSet {
    fn extend<I: IntoIterator<Item = Permission>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl IntoIterator for PermissionSet {
    type Item = Permission;
    type IntoIter = std::collections::btree_set::IntoIter<Permission>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a PermissionSet {
    type Item = &'a Permission;
    type IntoIter = std::collections::btree_set::Iter<'a, Permission>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for PermissionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, permission) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            f.write_str(permission.as_str())?;
        }
        Ok(())
    }
}

/// Which of the gateway's two token-scope matchers checks a requirement.
///
/// ContextForge 1.1.0 checks token scopes in two places with different rules, and a catalogue entry records which
/// one applies to each of its requirements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ScopeMatcher {
    /// `middleware/rbac.py::token_scope_grants`, used by the token-scoping middleware and by `@require_permission`:
    /// empty scope = no limit; `*`; exact; `<category>.*`; and `servers.use` is granted by any `tools.`,
    /// `resources.` or `prompts.` permission.
    Standard,
    /// `main.py::_ensure_rpc_permission` (`/rpc` methods) and
    /// `streamablehttp_transport.py::_check_scoped_permission` (MCP methods): empty scope = no limit; `*`;
    /// otherwise exact. No category wildcard, no implication.
    Exact,
}

/// The permissions carried in a token's `scopes.permissions` claim, with the gateway's matching rules.
///
/// **An empty list means "no limit" (inherit the user's roles), not "deny all"** (`token_scope_grants`, and
/// `TokenCatalogService._generate_token`). A least-privilege token therefore never has an empty list.
///
/// ```
/// use mcpfleet_scope_audit::{Permission, PermissionSet, ScopeMatcher, TokenScope};
///
/// // What the gateway issues for a request of ["tools.execute"]: it adds servers.use.
/// let scope = TokenScope::as_issued(&PermissionSet::parse(["tools.execute"])?);
/// assert!(scope.permissions().contains_str("servers.use"));
/// let use_: Permission = "servers.use".parse()?;
/// assert!(scope.grants(&use_, ScopeMatcher::Exact));
///
/// // An empty scope restricts nothing.
/// assert!(TokenScope::new(PermissionSet::new()).grants(&"admin.import".parse()?, ScopeMatcher::Exact));
/// # Ok::<(), mcpfleet_scope_audit::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct TokenScope {
    permissions: PermissionSet,
}

impl TokenScope {
    /// A scope carrying exactly these permissions (as found in a JWT).
    pub fn new(permissions: PermissionSet) -> Self {
        Self { permissions }
    }

    /// The scope the gateway writes into a token created with `requested` permissions: `servers.use` is added when
    /// a `tools.`/`resources.`/`prompts.` permission is present and `*` is not (`TokenCatalogService._generate_token`).
    pub fn as_issued(requested: &PermissionSet) -> Self {
        let mut permissions = requested.clone();
        if !permissions.has_wildcard() && permissions.iter().any(Permission::implies_servers_use) {
            permissions.insert(Permission::from_static(SERVERS_USE));
        }
        Self { permissions }
    }

    /// The permissions, verbatim.
    pub fn permissions(&self) -> &PermissionSet {
        &self.permissions
    }

    /// Whether the scope limits nothing: empty, or holding `*`.
    pub fn is_unrestricted(&self) -> bool {
        self.permissions.is_empty() || self.permissions.has_wildcard()
    }

    /// Whether this scope lets `permission` through under `matcher`.
    pub fn grants(&self, permission: &Permission, matcher: ScopeMatcher) -> bool {
        if self.is_unrestricted() || self.permissions.contains(permission) {
            return true;
        }
        match matcher {
            ScopeMatcher::Exact => false,
            ScopeMatcher::Standard => {
                self.permissions
                    .iter()
                    .any(|held| held.covers_standard(permission))
                    || (permission.as_str() == SERVERS_USE
                        && self.permissions.iter().any(Permission::implies_servers_use))
            }
        }
    }

    /// The members of `universe` this scope grants under the standard matcher.
    pub fn expand(&self, universe: &PermissionSet) -> PermissionSet {
        universe
            .iter()
            .filter(|p| self.grants(p, ScopeMatcher::Standard))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(value: &str) -> Permission {
        Permission::parse(value).unwrap()
    }

    #[test]
    fn parse_keeps_text_verbatim_and_rejects_blank_or_spaced() {
        assert_eq!(
            p("admin.sso_providers:create").as_str(),
            "admin.sso_providers:create"
        );
        assert_eq!(p("Future.Thing").to_string(), "Future.Thing");
        assert!(Permission::parse("").is_err());
        let err = Permission::parse("tools.read\n").unwrap_err();
        assert!(err.to_string().contains("whitespace"), "{err}");
    }

    #[test]
    fn shapes_and_categories() {
        assert_eq!(p("*").shape(), PermissionShape::Wildcard);
        assert_eq!(p("tools.*").shape(), PermissionShape::CategoryWildcard);
        assert_eq!(p("tools.read").shape(), PermissionShape::Action);
        assert_eq!(p("logs:read").category(), None);
        assert_eq!(p("admin.sso_providers:create").category(), Some("admin"));
        assert_eq!(p("*").category(), None);
    }

    #[test]
    fn requestable_follows_the_token_api_pattern() {
        for ok in ["*", "tools.read", "logs:read", "a2a.invoke", "x.y_z"] {
            assert!(p(ok).is_requestable(), "{ok}");
        }
        for bad in [
            "tools.*",
            "tools",
            "1tools.read",
            "tools.",
            ".read",
            "tools.read.more",
            // The gateway's own admin.sso_providers:create has two separators: its token API refuses it.
            "admin.sso_providers:create",
            "tools-x.read",
        ] {
            assert!(!p(bad).is_requestable(), "{bad}");
        }
    }

    #[test]
    fn standard_matcher_knows_category_wildcards_and_servers_use_implication() {
        let scope = TokenScope::new(PermissionSet::parse(["tools.*"]).unwrap());
        assert!(scope.grants(&p("tools.execute"), ScopeMatcher::Standard));
        assert!(!scope.grants(&p("tools.execute"), ScopeMatcher::Exact));
        assert!(!scope.grants(&p("resources.read"), ScopeMatcher::Standard));
        assert!(scope.grants(&p("servers.use"), ScopeMatcher::Standard));
        assert!(!scope.grants(&p("servers.use"), ScopeMatcher::Exact));
        let a2a = TokenScope::new(PermissionSet::parse(["a2a.read"]).unwrap());
        assert!(!a2a.grants(&p("servers.use"), ScopeMatcher::Standard));
    }

    #[test]
    fn empty_scope_and_wildcard_restrict_nothing() {
        for scope in [
            TokenScope::new(PermissionSet::new()),
            TokenScope::new(PermissionSet::parse(["*"]).unwrap()),
        ] {
            assert!(scope.is_unrestricted());
            assert!(scope.grants(&p("admin.import"), ScopeMatcher::Exact));
        }
        assert!(!TokenScope::new(PermissionSet::parse(["tags.read"]).unwrap()).is_unrestricted());
    }

    #[test]
    fn as_issued_adds_servers_use_only_for_mcp_method_permissions() {
        let issued = TokenScope::as_issued(&PermissionSet::parse(["prompts.read"]).unwrap());
        assert_eq!(
            issued.permissions().to_strings(),
            ["prompts.read", "servers.use"]
        );
        let issued = TokenScope::as_issued(&PermissionSet::parse(["gateways.create"]).unwrap());
        assert_eq!(issued.permissions().to_strings(), ["gateways.create"]);
        // `*` already covers it: the gateway writes the list unchanged.
        let issued = TokenScope::as_issued(&PermissionSet::parse(["*", "tools.read"]).unwrap());
        assert_eq!(issued.permissions().to_strings(), ["*", "tools.read"]);
    }

    #[test]
    fn serde_round_trip_and_rejection() {
        let set: PermissionSet =
            serde_json::from_str(r#"["tools.read","*","gateways.create"]"#).unwrap();
        assert_eq!(
            serde_json::to_string(&set).unwrap(),
            r#"["*","gateways.create","tools.read"]"#
        );
        assert!(serde_json::from_str::<PermissionSet>(r#"["ok.ok",""]"#).is_err());
        assert_eq!(set.to_string(), "*, gateways.create, tools.read");
    }
}
