//! The SQL contract: every statement in the portal's source prepares against the migrated schema.
//!
//! The portal's queries are runtime strings (`sqlx::query("…")`), which the
//! compiler cannot check. This test reads every `.rs` file under
//! [`SOURCE_DIRS`], finds each call that takes SQL as its first argument and
//! has PostgreSQL PREPARE the statement (parse it, resolve every table,
//! column, function and operator, infer parameter types: everything but
//! running it) on a freshly migrated database. A renamed column, a dropped
//! table or a typo fails here, naming the file and line, instead of in
//! production. SQL that is not a string literal (`&format!(…)`, a variable,
//! a const) cannot be checked and fails too: write each statement as one
//! literal, bind values as `$1…`, and build a statement whose shape varies
//! with `sqlx::QueryBuilder` and `push_bind`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sqlx::postgres::{PgDatabaseError, PgErrorPosition};
use sqlx::{Connection, Executor, PgConnection, PgPool};
use syn::spanned::Spanned;
use syn::visit::Visit;

/// Where the statements live, relative to the workspace root.
const SOURCE_DIRS: [&str; 3] = ["app/src", "server/src", "server/benches"];

/// sqlx's functions whose first argument is a whole SQL statement.
const STATEMENT_FUNCTIONS: [&str; 7] = [
    "query",
    "query_as",
    "query_scalar",
    "query_with",
    "query_as_with",
    "query_scalar_with",
    "raw_sql",
];

/// The portal has well over this many statements; finding fewer means the
/// scanner no longer sees them (a moved directory, a new way of calling
/// sqlx), and a scanner that finds nothing must not pass.
const FEWEST_STATEMENTS: usize = 100;

/// How a piece of SQL is used, which decides how it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A whole statement for the extended protocol: prepared.
    Statement,
    /// `raw_sql`: possibly several statements, which cannot be prepared;
    /// run in a transaction that is rolled back.
    Raw,
    /// The literal start of a `QueryBuilder`: prepared if it is complete on
    /// its own; a start that only lacks its end is accepted.
    BuilderStart,
    /// A `QueryBuilder`'s start with the literal pushes the same function
    /// makes on it (binds as `$n`; pushes made elsewhere, and conditions,
    /// left out): only an unknown table or column fails it, as the text may
    /// not be a statement the code ever sends.
    BuilderComposed,
}

/// A literal piece of SQL and where it is written.
#[derive(Debug)]
struct Sql {
    /// `path/to/file.rs:line`, relative to the workspace root.
    file: String,
    line: usize,
    /// The function it is given to, as written (`sqlx::query_as`).
    callee: String,
    kind: Kind,
    text: String,
}

/// Everything the scanner found in the source.
#[derive(Debug, Default)]
struct Scan {
    sql: Vec<Sql>,
    /// Calls whose SQL is not a literal, already worded as failures.
    not_literal: Vec<String>,
    files: usize,
}

/// A `QueryBuilder` being followed through the function that starts it.
#[derive(Debug)]
struct Builder {
    /// The variable holding it, once known.
    var: Option<String>,
    line: usize,
    text: String,
    binds: usize,
    pushes: usize,
    /// False once something other than a literal or a bind is pushed.
    composable: bool,
}

/// Reads one file's syntax tree and collects its SQL.
struct Scanner<'a> {
    file: &'a str,
    source_lines: Vec<&'a str>,
    scan: &'a mut Scan,
    /// The builders started in the function being read.
    builders: Vec<Builder>,
}

impl Scanner<'_> {
    fn source_line(&self, line: usize) -> &str {
        self.source_lines
            .get(line.saturating_sub(1))
            .map_or("", |l| l.trim())
    }

    /// Reads a function's body with its own builders, then records them.
    fn in_function(&mut self, read: impl FnOnce(&mut Self)) {
        let outer = std::mem::take(&mut self.builders);
        read(self);
        for builder in std::mem::replace(&mut self.builders, outer) {
            if builder.composable && builder.pushes > 0 {
                self.scan.sql.push(Sql {
                    file: self.file.to_owned(),
                    line: builder.line,
                    callee: "QueryBuilder with its pushes".to_owned(),
                    kind: Kind::BuilderComposed,
                    text: builder.text,
                });
            }
        }
    }

    /// `.push("…")` and `.push_bind(…)` on a builder of this function.
    fn method(&mut self, call: &syn::ExprMethodCall) {
        let method = call.method.to_string();
        if !matches!(
            method.as_str(),
            "push" | "push_bind" | "separated" | "push_values" | "push_tuples"
        ) {
            return;
        }
        let mut receiver = &*call.receiver;
        while let syn::Expr::MethodCall(inner) = receiver {
            receiver = &inner.receiver;
        }
        let syn::Expr::Path(path) = receiver else {
            return;
        };
        let Some(name) = path.path.get_ident().map(ToString::to_string) else {
            return;
        };
        let line = call.method.span().start().line;
        let argument = call.args.first();
        if method == "push" && argument.is_some_and(is_format) {
            self.scan.not_literal.push(format!(
                "{}:{line}: `{name}.push` is given format!(…):\n    {}\n  Push literal SQL and \
                 bind values with push_bind (never format! into SQL).",
                self.file,
                self.source_line(line)
            ));
        }
        let Some(builder) = self
            .builders
            .iter_mut()
            .rev()
            .find(|b| b.var.as_deref() == Some(&name))
        else {
            return;
        };
        builder.pushes += 1;
        match (method.as_str(), argument.and_then(string_literal)) {
            ("push", Some(literal)) => builder.text.push_str(&literal.value()),
            ("push_bind", _) => {
                builder.binds += 1;
                builder.text.push_str(&format!("${}", builder.binds));
            }
            _ => builder.composable = false,
        }
    }

    fn call(
        &mut self,
        callee: &syn::Expr,
        args: &syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>,
    ) {
        let syn::Expr::Path(path) = callee else {
            return;
        };
        let Some(kind) = sql_kind(&path.path) else {
            return;
        };
        let written = path_text(&path.path);
        let line = callee.span().start().line;
        match args.first().and_then(string_literal) {
            Some(literal) if kind == Kind::BuilderStart => {
                self.builders.push(Builder {
                    var: None,
                    line: literal.span().start().line,
                    text: literal.value(),
                    binds: 0,
                    pushes: 0,
                    // with_arguments starts with binds the text cannot see.
                    composable: path_text(&path.path).ends_with("::new"),
                });
                self.scan.sql.push(Sql {
                    file: self.file.to_owned(),
                    line: literal.span().start().line,
                    callee: written,
                    kind,
                    text: literal.value(),
                });
            }
            Some(literal) => self.scan.sql.push(Sql {
                file: self.file.to_owned(),
                line: literal.span().start().line,
                callee: written,
                kind,
                text: literal.value(),
            }),
            None => {
                let source = self.source_line(line);
                self.scan.not_literal.push(format!(
                    "{}:{line}: {written} is given SQL that is not a string literal, so it cannot be \
                     checked:\n    {source}\n  Write the statement as one literal; bind values as \
                     $1, $2…; if its shape really varies, build it with sqlx::QueryBuilder and \
                     push_bind (never format! into SQL).",
                    self.file
                ));
            }
        }
    }
}

impl<'ast> Visit<'ast> for Scanner<'_> {
    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        self.call(&call.func, &call.args);
        syn::visit::visit_expr_call(self, call);
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        // The receiver first: a chain's calls are then seen in source order.
        syn::visit::visit_expr_method_call(self, call);
        self.method(call);
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        syn::visit::visit_local(self, local);
        let starts_builder = local.init.as_ref().is_some_and(|init| match &*init.expr {
            syn::Expr::Call(call) => matches!(&*call.func, syn::Expr::Path(p) if sql_kind(&p.path) == Some(Kind::BuilderStart)),
            _ => false,
        });
        if let (true, syn::Pat::Ident(name)) = (starts_builder, &local.pat) {
            if let Some(builder) = self.builders.last_mut() {
                builder.var = Some(name.ident.to_string());
            }
        }
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        self.in_function(|me| syn::visit::visit_item_fn(me, item));
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        self.in_function(|me| syn::visit::visit_impl_item_fn(me, item));
    }

    /// Macro bodies are tokens to syn; those that are a list of expressions
    /// (`assert!`, `tokio::join!`, `vec!` …) are read like code.
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let parser = syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated;
        if let Ok(exprs) = mac.parse_body_with(parser) {
            for expr in &exprs {
                self.visit_expr(expr);
            }
        }
    }
}

/// Which kind of SQL a called path takes, if it is one of sqlx's entry points.
fn sql_kind(path: &syn::Path) -> Option<Kind> {
    let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let last = names.last()?.as_str();
    let in_sqlx = names.len() == 1 || names.first().is_some_and(|first| first == "sqlx");
    if in_sqlx && STATEMENT_FUNCTIONS.contains(&last) {
        return Some(if last == "raw_sql" {
            Kind::Raw
        } else {
            Kind::Statement
        });
    }
    let builder = names.len() >= 2 && names[names.len() - 2] == "QueryBuilder";
    (builder && (last == "new" || last == "with_arguments")).then_some(Kind::BuilderStart)
}

fn path_text(path: &syn::Path) -> String {
    let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    names.join("::")
}

/// Whether an argument is `format!(…)` or `&format!(…)`.
fn is_format(expr: &syn::Expr) -> bool {
    match expr {
        syn::Expr::Macro(mac) => mac.mac.path.is_ident("format"),
        syn::Expr::Reference(inner) => is_format(&inner.expr),
        _ => false,
    }
}

/// The string literal an argument is, seeing through parentheses and the
/// invisible groups of macro expansion.
fn string_literal(expr: &syn::Expr) -> Option<&syn::LitStr> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(literal),
            ..
        }) => Some(literal),
        syn::Expr::Paren(inner) => string_literal(&inner.expr),
        syn::Expr::Group(inner) => string_literal(&inner.expr),
        _ => None,
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the server crate sits in the workspace")
        .to_path_buf()
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            into.push(path);
        }
    }
}

/// Every piece of SQL in [`SOURCE_DIRS`].
fn scan_source() -> Scan {
    let root = workspace_root();
    let mut files = Vec::new();
    for dir in SOURCE_DIRS {
        rust_files(&root.join(dir), &mut files);
    }
    let mut scan = Scan {
        files: files.len(),
        ..Scan::default()
    };
    for path in &files {
        let source = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let tree =
            syn::parse_file(&source).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
        let file = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .display()
            .to_string();
        let mut scanner = Scanner {
            file: &file,
            source_lines: source.lines().collect(),
            scan: &mut scan,
            builders: Vec::new(),
        };
        scanner.visit_file(&tree);
    }
    scan
}

/// Whether a statement creates a table that later statements may use.
fn creates_table(sql: &Sql) -> bool {
    let words: Vec<String> = sql
        .text
        .split_whitespace()
        .take(3)
        .map(str::to_lowercase)
        .collect();
    sql.kind == Kind::Statement
        && words.first().is_some_and(|w| w == "create")
        && words.iter().skip(1).any(|w| w == "table")
}

/// Checks one piece of SQL; `Err` is the failure as it should be read.
async fn check(conn: &mut PgConnection, sql: &Sql) -> Result<(), String> {
    let outcome = match sql.kind {
        Kind::Statement | Kind::BuilderStart | Kind::BuilderComposed => {
            conn.prepare(sql.text.as_str()).await.map(drop)
        }
        Kind::Raw => {
            let mut tx = conn
                .begin()
                .await
                .map_err(|e| format!("opening a transaction: {e}"))?;
            // Not a portal statement: runs the literal found in the source.
            let ran = sqlx::raw_sql(&sql.text).execute(&mut *tx).await.map(drop);
            tx.rollback()
                .await
                .map_err(|e| format!("rolling back: {e}"))?;
            ran
        }
    };
    let Err(error) = outcome else { return Ok(()) };
    let Some(db) = error
        .as_database_error()
        .and_then(|e| e.try_downcast_ref::<PgDatabaseError>())
    else {
        return Err(format!(
            "{}:{}: {}: {error}",
            sql.file, sql.line, sql.callee
        ));
    };
    if sql.kind == Kind::BuilderStart && is_unfinished(db, &sql.text) {
        return Ok(());
    }
    // 42P01 undefined table, 42703 undefined column: wrong whatever the
    // conditions the composed text leaves out.
    if sql.kind == Kind::BuilderComposed && !matches!(db.code(), "42P01" | "42703") {
        return Ok(());
    }
    Err(describe(sql, db))
}

/// A `QueryBuilder`'s start is often not a statement yet (`… where `): only
/// a syntax error at its very end says it merely lacks what is pushed later.
fn is_unfinished(db: &PgDatabaseError, text: &str) -> bool {
    let at_end = match db.position() {
        Some(PgErrorPosition::Original(position)) => position > text.trim_end().chars().count(),
        _ => false,
    };
    db.code() == "42601" && at_end
}

/// PostgreSQL's complaint, pointed at the line of the statement it is about.
fn describe(sql: &Sql, db: &PgDatabaseError) -> String {
    let position = match db.position() {
        Some(PgErrorPosition::Original(position)) => Some(position),
        _ => None,
    };
    // Lines of the literal before the error, for the line in the source file.
    let before: String = sql
        .text
        .chars()
        .take(position.unwrap_or(1).saturating_sub(1))
        .collect();
    // A composed builder's text comes from several places: name its start.
    let line = match sql.kind {
        Kind::BuilderComposed => sql.line,
        _ => sql.line + before.matches('\n').count(),
    };
    let mut out = format!(
        "{}:{line}: {} does not prepare: {} [SQLSTATE {}]",
        sql.file,
        sql.callee,
        db.message(),
        db.code()
    );
    if let Some(detail) = db.detail() {
        let _ = write!(out, "\n    detail: {detail}");
    }
    if let Some(hint) = db.hint() {
        let _ = write!(out, "\n    hint: {hint}");
    }
    if position.is_some() {
        let text_line = before.rsplit('\n').next().unwrap_or("");
        let statement_line = sql
            .text
            .lines()
            .nth(before.matches('\n').count())
            .unwrap_or("");
        let indent = statement_line.len() - statement_line.trim_start().len();
        let column = text_line.chars().count().saturating_sub(indent);
        let _ = write!(
            out,
            "\n    | {}\n    | {}^",
            statement_line.trim_start(),
            " ".repeat(column)
        );
    } else {
        let _ = write!(out, "\n    | {}", sql.text.trim());
    }
    out
}

#[sqlx::test(migrations = false)]
async fn every_sql_statement_in_the_source_prepares_against_the_migrated_schema(pool: PgPool) {
    lab_portal::db::migrate(&pool).await.expect("migrate");
    let scan = scan_source();
    assert!(
        scan.sql.len() >= FEWEST_STATEMENTS,
        "the SQL scanner found only {} statements in {} files under {SOURCE_DIRS:?}; the portal \
         has well over {FEWEST_STATEMENTS}, so the scanner no longer sees them (did the source \
         move, or is sqlx called in a new way?)",
        scan.sql.len(),
        scan.files,
    );

    let starts = scan
        .sql
        .iter()
        .filter(|s| s.kind == Kind::BuilderStart)
        .count();
    eprintln!(
        "checking {} pieces of SQL ({starts} QueryBuilder starts) from {} files",
        scan.sql.len(),
        scan.files
    );
    let mut conn = pool.acquire().await.expect("connection");
    let mut failures = scan.not_literal.clone();
    // Tables the code creates itself (the ledger bench's baseline) are
    // created first, on this throwaway database, so the statements that use
    // them can be checked too.
    let (creates, others): (Vec<&Sql>, Vec<&Sql>) =
        scan.sql.iter().partition(|sql| creates_table(sql));
    for sql in creates {
        if let Err(failure) = check(&mut conn, sql).await {
            failures.push(failure);
        } else if let Err(error) = (&mut *conn).execute(sql.text.as_str()).await {
            failures.push(format!(
                "{}:{}: {} prepares but does not run: {error}",
                sql.file, sql.line, sql.callee
            ));
        }
    }
    for sql in others {
        if let Err(failure) = check(&mut conn, sql).await {
            failures.push(failure);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} SQL call sites fail the contract (see server/tests/api/sql_contract.rs):\n\n{}\n",
        failures.len(),
        scan.sql.len() + scan.not_literal.len(),
        failures.join("\n\n"),
    );
}
