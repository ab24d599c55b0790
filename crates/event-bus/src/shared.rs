//! One multiplexed Redis connection shared by many callers: commands
//! pipeline on it, with no pool checkout (and its PING) per command. It is
//! dropped after a connection-level failure, so the next command reconnects.

use deadpool_redis::Pool;
use deadpool_redis::redis::RedisResult;
use deadpool_redis::redis::aio::MultiplexedConnection;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct SharedConnection {
    pool: Pool,
    shared: Arc<Mutex<Option<MultiplexedConnection>>>,
}

impl SharedConnection {
    pub fn new(pool: Pool) -> Self {
        Self {
            pool,
            shared: Arc::default(),
        }
    }

    pub async fn get(&self) -> Result<MultiplexedConnection, deadpool_redis::PoolError> {
        if let Some(c) = self.shared.lock().expect("shared connection lock").clone() {
            return Ok(c);
        }
        let c = deadpool_redis::Connection::take(self.pool.get().await?);
        *self.shared.lock().expect("shared connection lock") = Some(c.clone());
        Ok(c)
    }

    /// Passes a result through, dropping the connection when it is broken
    /// (Redis restarted) so the next command reconnects.
    pub fn settle<T>(&self, r: RedisResult<T>) -> RedisResult<T> {
        if let Err(e) = &r
            && (e.is_io_error()
                || e.is_connection_dropped()
                || e.is_unrecoverable_error()
                || e.is_timeout())
        {
            *self.shared.lock().expect("shared connection lock") = None;
        }
        r
    }
}
