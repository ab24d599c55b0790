//! Redis Streams event bus: publish, trimming of acknowledged entries,
//! consumer groups, ack after the handler commits, delayed retries with
//! exponential backoff, a dead-letter stream after N deliveries, and
//! reclaiming (XAUTOCLAIM) what a dead consumer left pending. The W3C trace
//! context travels inside every envelope.

mod bus;
mod consumer;
mod keys;
mod shared;
mod trace;

pub use bus::{Backlog, BusConfig, BusError, DeadLetter, Delivery, EventBus};
pub use consumer::{
    ConsumerOptions, Handler, HandlerError, Heartbeat, dispatch_batch, run_consumer,
};
pub use shared::SharedConnection;
pub use trace::{current_traceparent, set_parent_from};
