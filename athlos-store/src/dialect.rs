//! What differs between SQLite and PostgreSQL, and nothing more (the README lists what:
//! opening, connections and transactions, values, the choice between two statement texts).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{
    PgArgumentBuffer, PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow, PgTypeInfo,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{Database, Encode, Executor, Postgres, Sqlite, Transaction, Type};
use tokio::sync::{Mutex, OwnedMutexGuard};

use athlos_core::store::JobId;

use crate::codec::{backend, i64_of, invalid, limit_of};
use crate::{OpenError, Result, Time};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Connections of [`Db::Postgres`]'s `queue` pool (claims of free slots run up to eight side
/// by side).
const QUEUE_CONNECTIONS: u32 = 8;

/// A database of either kind.
#[derive(Debug)]
pub(crate) enum Db {
    Sqlite {
        pool: SqlitePool,
        /// Taken by writes (transactions, claims): they wait their turn here instead of in
        /// SQLite's busy handler, which sleeps whole milliseconds.
        writes: Arc<Mutex<()>>,
    },
    Postgres {
        pool: PgPool,
        /// Claims and completions of jobs, on connections of their own that plan each
        /// statement once (`plan_cache_mode = force_generic_plan`). PostgreSQL would
        /// otherwise plan them again on every call: a plan for the ids and limit at hand
        /// looks cheaper than the generic one, and planning them cost about three times
        /// their execution. Their generic plans are the ones wanted (index scans, with the
        /// limit written into the statement).
        queue: PgPool,
    },
}

impl Db {
    /// Opens the database a URL names (see [`crate::connect`]) and applies its migrations.
    pub(crate) async fn open(url: &str) -> Result<Self, OpenError> {
        let invalid_url = |error: sqlx::Error| OpenError::Url {
            url: url.to_owned(),
            reason: error.to_string(),
        };
        let unreachable = |error: sqlx::Error| OpenError::Connect {
            reason: error.to_string(),
        };
        let db = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url).map_err(invalid_url)?;
            let memory = url.contains(":memory:") || url.contains("mode=memory");
            Self::sqlite(options, memory).await.map_err(unreachable)?
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(invalid_url)?;
            Self::postgres(options).await.map_err(unreachable)?
        } else {
            return Err(OpenError::Url {
                url: url.to_owned(),
                reason: "expected sqlite://…, sqlite::memory: or postgres://…".to_owned(),
            });
        };
        match &db {
            Self::Sqlite { pool, .. } => SQLITE_MIGRATIONS.run(pool).await,
            Self::Postgres { pool, .. } => POSTGRES_MIGRATIONS.run(pool).await,
        }
        .map_err(|error| OpenError::Migrate {
            reason: error.to_string(),
        })?;
        Ok(db)
    }

    /// A SQLite database: a file in WAL mode, or memory.
    async fn sqlite(options: SqliteConnectOptions, memory: bool) -> sqlx::Result<Self> {
        let options = options
            .create_if_missing(true)
            .journal_mode(if memory {
                SqliteJournalMode::Memory
            } else {
                SqliteJournalMode::Wal
            })
            // WAL with NORMAL survives a crash of the process (not of the machine's power).
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        // An in-memory database lives in one connection: keep exactly that one forever.
        let pool = if memory {
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(4)
        };
        Ok(Self::Sqlite {
            pool: pool.connect_with(options).await?,
            writes: Arc::default(),
        })
    }

    /// A PostgreSQL database, with the pool of the queue's connections.
    async fn postgres(options: PgConnectOptions) -> sqlx::Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await?;
        let queue = PgPoolOptions::new()
            .max_connections(QUEUE_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("SET plan_cache_mode = force_generic_plan")
                        .await
                        .map(|_| ())
                })
            })
            .connect_lazy_with(options);
        Ok(Self::Postgres { pool, queue })
    }

    /// `sqlite` or `postgres`.
    pub(crate) fn name(&self) -> &'static str {
        self.pick("sqlite", "postgres")
    }

    /// Whether writes run side by side (PostgreSQL) rather than one at a time (SQLite).
    pub(crate) fn parallel_writes(&self) -> bool {
        matches!(self, Self::Postgres { .. })
    }

    /// `sqlite` on SQLite, `postgres` on PostgreSQL.
    pub(crate) fn pick<T>(&self, sqlite: T, postgres: T) -> T {
        match self {
            Self::Sqlite { .. } => sqlite,
            Self::Postgres { .. } => postgres,
        }
    }

    fn migrations(&self) -> &'static sqlx::migrate::Migrator {
        self.pick(&SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS)
    }

    /// Whether every migration is applied.
    pub(crate) async fn ready(&self) -> Result<()> {
        let applied = query("SELECT COUNT(*) AS n FROM _sqlx_migrations WHERE success");
        let applied: i64 = self.one(applied).await?.get("n")?;
        let expected = i64::try_from(self.migrations().iter().count()).unwrap_or(i64::MAX);
        if applied < expected {
            return Err(backend(format!(
                "{applied} of {expected} migrations applied"
            )));
        }
        Ok(())
    }

    pub(crate) async fn close(&self) {
        match self {
            Self::Sqlite { pool, .. } => pool.close().await,
            Self::Postgres { pool, queue } => {
                queue.close().await;
                pool.close().await;
            }
        }
    }

    /// A connection for reads and single writes.
    pub(crate) async fn acquire(&self) -> Result<Conn> {
        let link = match self {
            Self::Sqlite { pool, .. } => Link::Sqlite(pool.acquire().await.map_err(backend)?),
            Self::Postgres { pool, .. } => Link::Postgres(pool.acquire().await.map_err(backend)?),
        };
        Ok(Conn { link, _turn: None })
    }

    /// A connection for a write that should not wait in SQLite's busy handler (its turn is
    /// taken on SQLite).
    pub(crate) async fn writer(&self) -> Result<Conn> {
        let turn = self.turn().await;
        Ok(Conn {
            _turn: turn,
            ..self.acquire().await?
        })
    }

    /// A connection for claims and completions of jobs: the queue's own pool on
    /// PostgreSQL, a writer's turn on SQLite.
    pub(crate) async fn queue(&self) -> Result<Conn> {
        match self {
            Self::Postgres { queue, .. } => Ok(Conn {
                link: Link::Postgres(queue.acquire().await.map_err(backend)?),
                _turn: None,
            }),
            Self::Sqlite { .. } => self.writer().await,
        }
    }

    /// A write transaction, to end with [`Conn::commit`]: `BEGIN IMMEDIATE` in its turn on
    /// SQLite (the write lock from the start, so it never fails to upgrade halfway), a plain
    /// one on PostgreSQL.
    pub(crate) async fn begin(&self) -> Result<Conn> {
        let turn = self.turn().await;
        let link = match self {
            Self::Sqlite { pool, .. } => {
                Link::SqliteTx(pool.begin_with("BEGIN IMMEDIATE").await.map_err(backend)?)
            }
            Self::Postgres { pool, .. } => Link::PostgresTx(pool.begin().await.map_err(backend)?),
        };
        Ok(Conn { link, _turn: turn })
    }

    async fn turn(&self) -> Option<OwnedMutexGuard<()>> {
        match self {
            Self::Sqlite { writes, .. } => Some(writes.clone().lock_owned().await),
            Self::Postgres { .. } => None,
        }
    }

    /// The rows of `query`, each decoded by `decode`, on a connection of its own.
    pub(crate) async fn all<T>(
        &self,
        query: Query,
        decode: impl Fn(&Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        let rows = query.rows(&mut self.acquire().await?).await?;
        rows.iter().map(decode).collect()
    }

    /// The row of `query` (it returns one at most) decoded by `decode`, if any.
    pub(crate) async fn opt<T>(
        &self,
        query: Query,
        decode: impl Fn(&Row) -> Result<T>,
    ) -> Result<Option<T>> {
        Ok(self.all(query, decode).await?.into_iter().next())
    }

    /// The one row of `query` (an aggregate: always one).
    pub(crate) async fn one(&self, query: Query) -> Result<Row> {
        query.one(&mut self.acquire().await?).await
    }

    /// Runs `query`; how many rows it changed.
    pub(crate) async fn execute(&self, query: Query) -> Result<u64> {
        query.execute(&mut self.acquire().await?).await
    }
}

/// A connection statements run on: pooled (with the writer's turn when taken) or a
/// transaction's, rolled back when dropped without [`Conn::commit`].
pub(crate) struct Conn {
    link: Link,
    // Declared last: released after the connection or transaction.
    _turn: Option<OwnedMutexGuard<()>>,
}

enum Link {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
    SqliteTx(Transaction<'static, Sqlite>),
    PostgresTx(Transaction<'static, Postgres>),
}

/// The driver's connection under a [`Conn`].
enum Driver<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl Conn {
    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self.link, Link::Postgres(_) | Link::PostgresTx(_))
    }

    fn driver(&mut self) -> Driver<'_> {
        match &mut self.link {
            Link::Sqlite(c) => Driver::Sqlite(c),
            Link::SqliteTx(tx) => Driver::Sqlite(tx),
            Link::Postgres(c) => Driver::Postgres(c),
            Link::PostgresTx(tx) => Driver::Postgres(tx),
        }
    }

    /// On a PostgreSQL transaction of [`Db::begin`]: runs `statement` (its values written
    /// into it, no parameters) and commits, both in one message, so whatever lock the
    /// statement takes is held for the commit only, not for a round trip to this process and
    /// back; the rows the statement returns. Elsewhere `None`: run it and commit as usual.
    pub(crate) async fn commit_with(self, statement: &str) -> Result<Option<Vec<Row>>> {
        let Link::PostgresTx(mut tx) = self.link else {
            return Ok(None);
        };
        // `BEGIN` after the `COMMIT` opens an empty transaction for the driver's own
        // `COMMIT` to end (it still counts this one open); an error in the statement stops the
        // message there, and the transaction is rolled back when dropped.
        let message = format!("{statement};\nCOMMIT;\nBEGIN");
        let connection: &mut PgConnection = &mut tx;
        let rows = connection
            .fetch_all(sqlx::raw_sql(&message))
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(Some(rows.into_iter().map(Row::Postgres).collect()))
    }

    /// Commits the transaction of [`Db::begin`] (a pooled connection has none to commit).
    pub(crate) async fn commit(self) -> Result<()> {
        match self.link {
            Link::SqliteTx(tx) => tx.commit().await.map_err(backend),
            Link::PostgresTx(tx) => tx.commit().await.map_err(backend),
            Link::Sqlite(_) | Link::Postgres(_) => Ok(()),
        }
    }
}

/// A value bound to a statement.
#[derive(Debug)]
pub(crate) enum Value {
    Int(Option<i64>),
    /// An id, a sequence or a count, bound as a `BIGINT` (one beyond its range fails).
    Uint(Option<u64>),
    /// An `INTEGER` column (32 bits on PostgreSQL).
    Int32(Option<i32>),
    Text(Option<String>),
    Bool(Option<bool>),
    /// Microseconds since the Unix epoch on SQLite, `TIMESTAMPTZ` on PostgreSQL.
    Time(Option<Time>),
    /// JSON text: `TEXT` on SQLite, `JSONB` on PostgreSQL.
    Json(Option<String>),
    Bytes(Option<Vec<u8>>),
    /// A JSON array (for `json_each`) on SQLite, `BIGINT[]` on PostgreSQL.
    Ints(Option<Vec<i64>>),
    /// A JSON array (for `json_each`) on SQLite, `TEXT[]` on PostgreSQL.
    Texts(Option<Vec<String>>),
}

macro_rules! value_from {
    ($($variant:ident: $type:ty),* $(,)?) => {$(
        impl From<$type> for Value {
            fn from(value: $type) -> Self {
                Value::$variant(Some(value.into()))
            }
        }
        impl From<Option<$type>> for Value {
            fn from(value: Option<$type>) -> Self {
                Value::$variant(value.map(Into::into))
            }
        }
    )*};
}

value_from!(Int: i64, Uint: u64, Int32: i32, Text: String, Text: &str, Text: &String,
    Bool: bool, Time: Time, Bytes: Vec<u8>, Ints: Vec<i64>, Texts: Vec<String>);

impl From<JobId> for Value {
    fn from(id: JobId) -> Self {
        Value::Uint(Some(id.0))
    }
}

/// A limit or an offset: beyond a `BIGINT`, the largest one.
impl From<usize> for Value {
    fn from(limit: usize) -> Self {
        Value::Int(Some(limit_of(limit)))
    }
}

/// A list as SQLite reads it (`json_each`): JSON text.
fn list<T: serde::Serialize>(list: Option<Vec<T>>) -> Result<Option<String>> {
    list.map(|list| serde_json::to_string(&list))
        .transpose()
        .map_err(backend)
}

/// JSON text bound as `TEXT` or `JSONB`.
pub(crate) fn json(text: impl Into<String>) -> Value {
    Value::Json(Some(text.into()))
}

/// A row id as bound: beyond the database's signed 64 bits, NULL, which names no row.
pub(crate) fn id_param(id: u64) -> Value {
    Value::Int(i64::try_from(id).ok())
}

/// A statement and its values.
#[derive(Debug)]
pub(crate) struct Query {
    sql: String,
    values: Vec<Value>,
}

/// A statement with `$1`-style parameters.
pub(crate) fn query(sql: impl Into<String>) -> Query {
    Query {
        sql: sql.into(),
        values: Vec::new(),
    }
}

type DbQuery<'q, DB> = sqlx::query::Query<'q, DB, <DB as Database>::Arguments<'q>>;

impl Query {
    /// Binds the next parameter.
    pub(crate) fn bind(mut self, value: impl Into<Value>) -> Self {
        self.values.push(value.into());
        self
    }

    /// Binds the next parameter if there is one (for a statement that names it only then).
    pub(crate) fn bind_some<V: Into<Value>>(self, value: Option<V>) -> Self {
        match value {
            Some(value) => self.bind(value),
            None => self,
        }
    }

    /// The rows the statement returns.
    pub(crate) async fn rows(self, conn: &mut Conn) -> Result<Vec<Row>> {
        fn wrap<R>(rows: sqlx::Result<Vec<R>>, row: fn(R) -> Row) -> Result<Vec<Row>> {
            Ok(rows.map_err(backend)?.into_iter().map(row).collect())
        }
        let Query { sql, values } = self;
        match conn.driver() {
            Driver::Sqlite(c) => wrap(
                bind(&sql, values, sqlite_own)?.fetch_all(c).await,
                Row::Sqlite,
            ),
            Driver::Postgres(c) => wrap(
                bind(&sql, values, postgres_own)?.fetch_all(c).await,
                Row::Postgres,
            ),
        }
    }

    /// The row the statement returns, if any (it returns one at most).
    pub(crate) async fn row(self, conn: &mut Conn) -> Result<Option<Row>> {
        Ok(self.rows(conn).await?.into_iter().next())
    }

    pub(crate) async fn one(self, conn: &mut Conn) -> Result<Row> {
        self.row(conn)
            .await?
            .ok_or_else(|| backend("a statement returned no row"))
    }

    /// Runs the statement; how many rows it changed.
    pub(crate) async fn execute(self, conn: &mut Conn) -> Result<u64> {
        let Query { sql, values } = self;
        match conn.driver() {
            Driver::Sqlite(c) => bind(&sql, values, sqlite_own)?
                .execute(c)
                .await
                .map(|d| d.rows_affected()),
            Driver::Postgres(c) => bind(&sql, values, postgres_own)?
                .execute(c)
                .await
                .map(|d| d.rows_affected()),
        }
        .map_err(backend)
    }
}

/// A statement with its values bound: on each dialect, what both encode alike here, the rest
/// (times, JSON, lists) by `own`.
fn bind<'q, DB: Database>(
    sql: &'q str,
    values: Vec<Value>,
    own: fn(DbQuery<'q, DB>, Value) -> Result<DbQuery<'q, DB>>,
) -> Result<DbQuery<'q, DB>>
where
    Option<i64>: Encode<'q, DB> + Type<DB>,
    Option<i32>: Encode<'q, DB> + Type<DB>,
    Option<String>: Encode<'q, DB> + Type<DB>,
    Option<bool>: Encode<'q, DB> + Type<DB>,
    Option<Vec<u8>>: Encode<'q, DB> + Type<DB>,
{
    let mut query = sqlx::query(sql);
    for value in values {
        query = match value {
            Value::Int(v) => query.bind(v),
            Value::Uint(v) => query.bind(v.map(i64_of).transpose()?),
            Value::Int32(v) => query.bind(v),
            Value::Text(v) => query.bind(v),
            Value::Bool(v) => query.bind(v),
            Value::Bytes(v) => query.bind(v),
            other => own(query, other)?,
        };
    }
    Ok(query)
}

/// SQLite's own: times as microseconds, JSON as text, lists as JSON text.
fn sqlite_own(query: DbQuery<'_, Sqlite>, value: Value) -> Result<DbQuery<'_, Sqlite>> {
    Ok(match value {
        Value::Time(v) => query.bind(v.map(|time| time.timestamp_micros())),
        Value::Ints(v) => query.bind(list(v)?),
        Value::Texts(v) => query.bind(list(v)?),
        Value::Json(v) => query.bind(v),
        _ => return Err(backend("a value neither dialect binds alike")),
    })
}

/// PostgreSQL's own: `TIMESTAMPTZ`, `JSONB` and arrays.
fn postgres_own(query: DbQuery<'_, Postgres>, value: Value) -> Result<DbQuery<'_, Postgres>> {
    Ok(match value {
        Value::Time(v) => query.bind(v),
        Value::Ints(v) => query.bind(v),
        Value::Texts(v) => query.bind(v),
        Value::Json(v) => query.bind(v.map(JsonText)),
        _ => return Err(backend("a value neither dialect binds alike")),
    })
}

/// JSON text sent as `JSONB` as it is: no tree in between, no `::jsonb` cast in the SQL.
#[derive(Debug)]
struct JsonText(String);

impl Type<Postgres> for JsonText {
    fn type_info() -> PgTypeInfo {
        <serde_json::Value as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for JsonText {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        // The binary JSONB format: a version byte, then the text.
        buf.push(1);
        buf.extend_from_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }
}

/// A row of either database.
pub(crate) enum Row {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

impl Row {
    /// A column whose type is the same on both (`BIGINT`, `TEXT`, `BOOLEAN`, bytes).
    pub(crate) fn get<T>(&self, column: &str) -> Result<T>
    where
        T: for<'r> sqlx::Decode<'r, Sqlite> + Type<Sqlite>,
        T: for<'r> sqlx::Decode<'r, Postgres> + Type<Postgres>,
    {
        use sqlx::Row as _;
        match self {
            Row::Sqlite(row) => row.try_get(column),
            Row::Postgres(row) => row.try_get(column),
        }
        .map_err(backend)
    }

    /// An `INTEGER` column (32 bits on PostgreSQL), if not NULL.
    pub(crate) fn opt_int(&self, column: &str) -> Result<Option<i64>> {
        match self {
            Row::Sqlite(_) => self.get(column),
            Row::Postgres(_) => Ok(self.get::<Option<i32>>(column)?.map(i64::from)),
        }
    }

    /// An `INTEGER` column that is never NULL.
    pub(crate) fn int(&self, column: &str) -> Result<i64> {
        required(self.opt_int(column)?, column)
    }

    /// A time column, if not NULL.
    pub(crate) fn opt_time(&self, column: &str) -> Result<Option<Time>> {
        match self {
            Row::Sqlite(_) => self
                .get::<Option<i64>>(column)?
                .map(|micros| {
                    Time::from_timestamp_micros(micros)
                        .ok_or_else(|| backend(format!("invalid timestamp {micros}")))
                })
                .transpose(),
            Row::Postgres(_) => self.get(column),
        }
    }

    /// A time column that is never NULL.
    pub(crate) fn time(&self, column: &str) -> Result<Time> {
        required(self.opt_time(column)?, column)
    }

    /// A JSON column, decoded.
    pub(crate) fn json<T: DeserializeOwned>(&self, column: &str) -> Result<T> {
        use sqlx::Row as _;
        match self {
            Row::Sqlite(_) => serde_json::from_str(&self.get::<String>(column)?).map_err(invalid),
            // Straight from the column's bytes into the value, without a JSON tree between.
            Row::Postgres(row) => row
                .try_get::<sqlx::types::Json<T>, _>(column)
                .map(|json| json.0)
                .map_err(invalid),
        }
    }

    /// A JSON column that may be NULL, decoded.
    pub(crate) fn opt_json<T: DeserializeOwned>(&self, column: &str) -> Result<Option<T>> {
        use sqlx::Row as _;
        match self {
            Row::Sqlite(_) => self
                .get::<Option<String>>(column)?
                .map(|text| serde_json::from_str(&text).map_err(invalid))
                .transpose(),
            Row::Postgres(row) => row
                .try_get::<Option<sqlx::types::Json<T>>, _>(column)
                .map(|json| json.map(|json| json.0))
                .map_err(invalid),
        }
    }

    /// A text column read by `parse` (a state, an aggregate).
    pub(crate) fn parse<T>(&self, column: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
        let text: String = self.get(column)?;
        parse(&text).ok_or_else(|| backend(format!("invalid {column} {text:?}")))
    }
}

/// A column that must not be NULL.
fn required<T>(value: Option<T>, column: &str) -> Result<T> {
    value.ok_or_else(|| backend(format!("column {column} is NULL")))
}
