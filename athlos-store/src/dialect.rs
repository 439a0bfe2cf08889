//! What differs between SQLite and PostgreSQL, and nothing more: opening and migrating,
//! connections and transactions (SQLite's one writer takes an in-process turn and
//! `BEGIN IMMEDIATE`; PostgreSQL runs transactions side by side and claims on a pool of its
//! own), how values are bound and read back (times as microseconds or `TIMESTAMPTZ`, JSON as
//! text or `JSONB`, lists as JSON text or arrays), and the choice between two statement texts
//! where they differ. Statements use `$1`-style parameters, which both drivers accept, and
//! the same table names, so most SQL is written once.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use athlos_core::error::StoreError;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{
    PgArgumentBuffer, PgArguments, PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow,
    PgTypeInfo,
};
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool,
    SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Executor, Postgres, Sqlite, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::codec::{backend, from_json_text, from_micros, micros};
use crate::OpenError;

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
    /// Opens a SQLite database (a file in WAL mode, or memory) and migrates it.
    pub(crate) async fn sqlite(url: &str) -> Result<Self, OpenError> {
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| url_error(url, e))?
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
        let pool_options = if memory {
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(4)
        };
        let pool = pool_options
            .connect_with(options)
            .await
            .map_err(connect_error)?;
        SQLITE_MIGRATIONS.run(&pool).await.map_err(migrate_error)?;
        Ok(Self::Sqlite {
            pool,
            writes: Arc::default(),
        })
    }

    /// Opens a PostgreSQL database and migrates it.
    pub(crate) async fn postgres(url: &str) -> Result<Self, OpenError> {
        let options = PgConnectOptions::from_str(url).map_err(|e| url_error(url, e))?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await
            .map_err(connect_error)?;
        POSTGRES_MIGRATIONS
            .run(&pool)
            .await
            .map_err(migrate_error)?;
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
        match self {
            Self::Sqlite { .. } => "sqlite",
            Self::Postgres { .. } => "postgres",
        }
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
    pub(crate) async fn ready(&self) -> Result<(), StoreError> {
        let row = self
            .one(query(
                "SELECT COUNT(*) AS n FROM _sqlx_migrations WHERE success",
            ))
            .await?;
        let applied: i64 = row.get("n")?;
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
    pub(crate) async fn acquire(&self) -> Result<Held, StoreError> {
        let conn = match self {
            Self::Sqlite { pool, .. } => HeldConn::Sqlite(pool.acquire().await.map_err(backend)?),
            Self::Postgres { pool, .. } => {
                HeldConn::Postgres(pool.acquire().await.map_err(backend)?)
            }
        };
        Ok(Held { conn, _turn: None })
    }

    /// A connection for a write that should not wait in SQLite's busy handler (its turn is
    /// taken on SQLite).
    pub(crate) async fn writer(&self) -> Result<Held, StoreError> {
        let turn = self.turn().await;
        let mut held = self.acquire().await?;
        held._turn = turn;
        Ok(held)
    }

    /// A connection for claims and completions of jobs: the queue's own pool on
    /// PostgreSQL, a writer's turn on SQLite.
    pub(crate) async fn queue(&self) -> Result<Held, StoreError> {
        match self {
            Self::Postgres { queue, .. } => Ok(Held {
                conn: HeldConn::Postgres(queue.acquire().await.map_err(backend)?),
                _turn: None,
            }),
            Self::Sqlite { .. } => self.writer().await,
        }
    }

    /// A write transaction: `BEGIN IMMEDIATE` in its turn on SQLite (the write lock from the
    /// start, so it never fails to upgrade halfway), a plain one on PostgreSQL.
    pub(crate) async fn begin(&self) -> Result<Tx, StoreError> {
        let turn = self.turn().await;
        let tx = match self {
            Self::Sqlite { pool, .. } => {
                TxInner::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await.map_err(backend)?)
            }
            Self::Postgres { pool, .. } => TxInner::Postgres(pool.begin().await.map_err(backend)?),
        };
        Ok(Tx { tx, _turn: turn })
    }

    async fn turn(&self) -> Option<OwnedMutexGuard<()>> {
        match self {
            Self::Sqlite { writes, .. } => Some(writes.clone().lock_owned().await),
            Self::Postgres { .. } => None,
        }
    }

    /// The rows of `query`, on a connection of its own.
    pub(crate) async fn rows(&self, query: Query) -> Result<Vec<Row>, StoreError> {
        query.rows(&mut self.acquire().await?.conn()).await
    }

    /// The row of `query`, if any.
    pub(crate) async fn row(&self, query: Query) -> Result<Option<Row>, StoreError> {
        query.row(&mut self.acquire().await?.conn()).await
    }

    /// The one row of `query` (an aggregate: always one).
    pub(crate) async fn one(&self, query: Query) -> Result<Row, StoreError> {
        query.one(&mut self.acquire().await?.conn()).await
    }

    /// Runs `query`; how many rows it changed.
    pub(crate) async fn execute(&self, query: Query) -> Result<u64, StoreError> {
        query.execute(&mut self.acquire().await?.conn()).await
    }
}

fn url_error(url: &str, error: sqlx::Error) -> OpenError {
    OpenError::Url {
        url: url.to_owned(),
        reason: error.to_string(),
    }
}

fn connect_error(error: sqlx::Error) -> OpenError {
    OpenError::Connect {
        reason: error.to_string(),
    }
}

fn migrate_error(error: sqlx::migrate::MigrateError) -> OpenError {
    OpenError::Migrate {
        reason: error.to_string(),
    }
}

/// A pooled connection, with the writer's turn when taken.
pub(crate) struct Held {
    conn: HeldConn,
    _turn: Option<OwnedMutexGuard<()>>,
}

enum HeldConn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Held {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match &mut self.conn {
            HeldConn::Sqlite(c) => Conn::Sqlite(c),
            HeldConn::Postgres(c) => Conn::Postgres(c),
        }
    }
}

/// A transaction, rolled back when dropped without [`Tx::commit`].
pub(crate) struct Tx {
    tx: TxInner,
    // Declared last: released after the transaction ends.
    _turn: Option<OwnedMutexGuard<()>>,
}

enum TxInner {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match &mut self.tx {
            TxInner::Sqlite(tx) => Conn::Sqlite(tx),
            TxInner::Postgres(tx) => Conn::Postgres(tx),
        }
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self.tx {
            TxInner::Sqlite(tx) => tx.commit().await,
            TxInner::Postgres(tx) => tx.commit().await,
        }
        .map_err(backend)
    }
}

/// A connection (pooled, or a transaction's) statements run on.
pub(crate) enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl Conn<'_> {
    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self, Conn::Postgres(_))
    }
}

/// A value bound to a statement.
#[derive(Debug)]
pub(crate) enum Value {
    Int(Option<i64>),
    /// An `INTEGER` column (32 bits on PostgreSQL).
    Int32(Option<i32>),
    Text(Option<String>),
    Bool(Option<bool>),
    /// Microseconds since the Unix epoch on SQLite, `TIMESTAMPTZ` on PostgreSQL.
    Time(Option<DateTime<Utc>>),
    /// JSON text: `TEXT` on SQLite, `JSONB` on PostgreSQL.
    Json(Option<String>),
    Bytes(Vec<u8>),
    /// A JSON array (for `json_each`) on SQLite, `BIGINT[]` on PostgreSQL.
    Ints(Vec<i64>),
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

value_from!(Int: i64, Int32: i32, Text: String, Text: &str, Text: &String, Bool: bool,
    Time: DateTime<Utc>);

impl From<Vec<u8>> for Value {
    fn from(value: Vec<u8>) -> Self {
        Value::Bytes(value)
    }
}

/// JSON text bound as `TEXT` or `JSONB`.
pub(crate) fn json(text: impl Into<String>) -> Value {
    Value::Json(Some(text.into()))
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

type SqliteQuery<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>;
type PgQuery<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

impl Query {
    /// Binds the next parameter.
    pub(crate) fn bind(mut self, value: impl Into<Value>) -> Self {
        self.values.push(value.into());
        self
    }

    pub(crate) async fn rows(self, conn: &mut Conn<'_>) -> Result<Vec<Row>, StoreError> {
        let Query { sql, values } = self;
        Ok(match conn {
            Conn::Sqlite(c) => sqlite_query(&sql, values)?
                .fetch_all(&mut **c)
                .await
                .map_err(backend)?
                .into_iter()
                .map(Row::Sqlite)
                .collect(),
            Conn::Postgres(c) => postgres_query(&sql, values)
                .fetch_all(&mut **c)
                .await
                .map_err(backend)?
                .into_iter()
                .map(Row::Postgres)
                .collect(),
        })
    }

    pub(crate) async fn row(self, conn: &mut Conn<'_>) -> Result<Option<Row>, StoreError> {
        let Query { sql, values } = self;
        Ok(match conn {
            Conn::Sqlite(c) => sqlite_query(&sql, values)?
                .fetch_optional(&mut **c)
                .await
                .map_err(backend)?
                .map(Row::Sqlite),
            Conn::Postgres(c) => postgres_query(&sql, values)
                .fetch_optional(&mut **c)
                .await
                .map_err(backend)?
                .map(Row::Postgres),
        })
    }

    pub(crate) async fn one(self, conn: &mut Conn<'_>) -> Result<Row, StoreError> {
        self.row(conn)
            .await?
            .ok_or_else(|| backend("a statement returned no row"))
    }

    pub(crate) async fn execute(self, conn: &mut Conn<'_>) -> Result<u64, StoreError> {
        let Query { sql, values } = self;
        match conn {
            Conn::Sqlite(c) => sqlite_query(&sql, values)?
                .execute(&mut **c)
                .await
                .map(|done| done.rows_affected()),
            Conn::Postgres(c) => postgres_query(&sql, values)
                .execute(&mut **c)
                .await
                .map(|done| done.rows_affected()),
        }
        .map_err(backend)
    }
}

fn sqlite_query(sql: &str, values: Vec<Value>) -> Result<SqliteQuery<'_>, StoreError> {
    let mut query = sqlx::query(sql);
    for value in values {
        query = match value {
            Value::Int(v) => query.bind(v),
            Value::Int32(v) => query.bind(v),
            Value::Text(v) | Value::Json(v) => query.bind(v),
            Value::Bool(v) => query.bind(v),
            Value::Time(v) => query.bind(v.map(micros)),
            Value::Bytes(v) => query.bind(v),
            Value::Ints(v) => query.bind(serde_json::to_string(&v).map_err(backend)?),
            Value::Texts(v) => query.bind(
                v.map(|v| serde_json::to_string(&v))
                    .transpose()
                    .map_err(backend)?,
            ),
        };
    }
    Ok(query)
}

fn postgres_query(sql: &str, values: Vec<Value>) -> PgQuery<'_> {
    let mut query = sqlx::query(sql);
    for value in values {
        query = match value {
            Value::Int(v) => query.bind(v),
            Value::Int32(v) => query.bind(v),
            Value::Text(v) => query.bind(v),
            Value::Json(v) => query.bind(v.map(JsonText)),
            Value::Bool(v) => query.bind(v),
            Value::Time(v) => query.bind(v),
            Value::Bytes(v) => query.bind(v),
            Value::Ints(v) => query.bind(v),
            Value::Texts(v) => query.bind(v),
        };
    }
    query
}

/// JSON text sent as `JSONB` as it is: no tree in between, no `::jsonb` cast in the SQL.
#[derive(Debug)]
struct JsonText(String);

impl sqlx::Type<Postgres> for JsonText {
    fn type_info() -> PgTypeInfo {
        <serde_json::Value as sqlx::Type<Postgres>>::type_info()
    }
}

impl sqlx::Encode<'_, Postgres> for JsonText {
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
    pub(crate) fn get<T>(&self, column: &str) -> Result<T, StoreError>
    where
        T: for<'r> sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>,
        T: for<'r> sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
    {
        use sqlx::Row as _;
        match self {
            Row::Sqlite(row) => row.try_get(column),
            Row::Postgres(row) => row.try_get(column),
        }
        .map_err(backend)
    }

    /// An `INTEGER` column (32 bits on PostgreSQL), if not NULL.
    pub(crate) fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        match self {
            Row::Sqlite(_) => self.get(column),
            Row::Postgres(_) => Ok(self.get::<Option<i32>>(column)?.map(i64::from)),
        }
    }

    /// An `INTEGER` column that is never NULL.
    pub(crate) fn int(&self, column: &str) -> Result<i64, StoreError> {
        required(self.opt_int(column)?, column)
    }

    /// A time column, if not NULL.
    pub(crate) fn opt_time(&self, column: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        match self {
            Row::Sqlite(_) => self
                .get::<Option<i64>>(column)?
                .map(from_micros)
                .transpose(),
            Row::Postgres(_) => self.get(column),
        }
    }

    /// A time column that is never NULL.
    pub(crate) fn time(&self, column: &str) -> Result<DateTime<Utc>, StoreError> {
        required(self.opt_time(column)?, column)
    }

    /// A JSON column, decoded.
    pub(crate) fn json<T: DeserializeOwned>(&self, column: &str) -> Result<T, StoreError> {
        use sqlx::Row as _;
        match self {
            Row::Sqlite(row) => from_json_text(&row.try_get::<String, _>(column).map_err(backend)?),
            // Straight from the column's bytes into the value, without a JSON tree between.
            Row::Postgres(row) => row
                .try_get::<sqlx::types::Json<T>, _>(column)
                .map(|json| json.0)
                .map_err(|e| StoreError::Backend {
                    reason: format!("stored document is invalid: {e}"),
                }),
        }
    }
}

/// A column that must not be NULL.
fn required<T>(value: Option<T>, column: &str) -> Result<T, StoreError> {
    value.ok_or_else(|| backend(format!("column {column} is NULL")))
}
