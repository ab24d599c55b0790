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
    req: ServiceRequest,
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
        return Ok(req
            .error_response(ApiError::Overloaded)
            .map_into_right_body());
    };
    Ok(next.call(req).await?.map_into_left_body())
}
