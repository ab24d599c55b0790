//! Load shedding for lead intake. Past `INTAKE_MAX_IN_FLIGHT` submissions
//! in progress, a new POST /api/leads gets 503 with `Retry-After: 1` at
//! once, before any other work is spent on it, instead of joining a queue
//! that only grows. Under overload the leads that are taken keep a short
//! answer time and the worker keeps up with them; the others are told to
//! retry in a second (an API client or the embeddable form does), rather
//! than waiting many seconds and timing out with no answer.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, web};
use futures::StreamExt;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Slots for lead submissions in progress.
#[derive(Clone)]
pub struct IntakeSlots(Arc<Semaphore>);

impl IntakeSlots {
    pub fn new(max_in_flight: usize) -> Self {
        Self(Arc::new(Semaphore::new(max_in_flight)))
    }
}

/// Middleware: holds a slot while POST /api/leads runs; 503 without one.
pub async fn shed(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let slots = (req.method() == Method::POST && req.path() == "/api/leads")
        .then(|| req.app_data::<web::Data<AppState>>())
        .flatten()
        .map(|state| state.intake_slots.0.clone());
    let Some(slots) = slots else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let Ok(_slot) = slots.try_acquire_owned() else {
        discard_body(&mut req).await;
        return Ok(req
            .error_response(ApiError::Overloaded)
            .map_into_right_body());
    };
    Ok(next.call(req).await?.map_into_left_body())
}

/// Reads a refused request's body to its end (up to the body limit), so the
/// client's connection stays open for its retry: actix closes a connection
/// whose request body was left unread, and under overload every refusal
/// would otherwise cost both sides a new TCP connection.
async fn discard_body(req: &mut ServiceRequest) {
    let payload = req.parts_mut().1;
    let mut read = 0;
    while let Some(Ok(chunk)) = payload.next().await {
        read += chunk.len();
        if read > crate::BODY_LIMIT {
            break;
        }
    }
}
