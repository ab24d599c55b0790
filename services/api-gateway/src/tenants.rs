//! Tenant use cases: sign up, log in, read and change settings.

use crate::access::{self, Gate};
use crate::auth::Auth;
use crate::billing;
use crate::error::ApiError;
use crate::passwords;
use crate::state::AppState;
use core_engine::PaymentMode;
use diesel_async::AsyncConnection;
use memory::{MemoryError, NewTenant, Tenant, TenantSettings, User, repo};
use serde::{Deserialize, Deserializer};
use shared_types::{BusinessHours, LeadEmail, ProductSlug, ValidationErrors};
use std::collections::BTreeMap;
use uuid::Uuid;

const MIN_PASSWORD: usize = 10;
/// Argon2 cost grows with input; nobody types a longer password.
const MAX_PASSWORD: usize = 256;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignUpInput {
    pub name: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    /// saas-booker, saas-leadqualifier or saas-followup; bound for life.
    pub product: Option<String>,
    /// IANA name, e.g. Europe/Berlin. Default UTC.
    pub timezone: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginInput {
    pub email: Option<String>,
    pub password: Option<String>,
    pub product: Option<String>,
}

/// A signed-in session: what sign-up and login answer.
pub struct Session {
    pub tenant: Tenant,
    pub user: User,
    pub token: String,
}

/// Collects every field problem of one request before answering.
#[derive(Default)]
struct Problems(ValidationErrors);

impl Problems {
    fn add(&mut self, field: &str, problem: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_insert_with(|| problem.into());
    }

    fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::fields(self.0))
        }
    }
}

fn product_field(p: &mut Problems, raw: Option<&str>) -> Option<ProductSlug> {
    match raw.map(str::parse::<ProductSlug>) {
        Some(Ok(slug)) => Some(slug),
        Some(Err(_)) => {
            p.add(
                "product",
                "must be saas-booker, saas-leadqualifier or saas-followup",
            );
            None
        }
        None => {
            p.add("product", "is required");
            None
        }
    }
}

fn email_field(p: &mut Problems, field: &str, raw: Option<&str>) -> Option<String> {
    match LeadEmail::parse(raw.unwrap_or_default()) {
        Ok(e) => Some(e.as_str().to_owned()),
        Err(problem) => {
            p.add(field, problem);
            None
        }
    }
}

fn timezone_field(p: &mut Problems, raw: &str) -> bool {
    let ok = raw.parse::<chrono_tz::Tz>().is_ok();
    if !ok {
        p.add(
            "timezone",
            "must be an IANA time zone such as Europe/Berlin",
        );
    }
    ok
}

/// POST /api/tenant/create: the tenant, its owner and a token. In stripe
/// mode the tenant starts `none` (it has not paid), in manual mode
/// `pending` (an admin activates it).
#[tracing::instrument(skip_all, fields(tenant.id))]
pub async fn sign_up(state: &AppState, input: SignUpInput) -> Result<Session, ApiError> {
    let mut p = Problems::default();
    let name = input.name.as_deref().map(str::trim).unwrap_or_default();
    if name.is_empty() || name.chars().count() > 200 {
        p.add("name", "must be 1 to 200 characters");
    }
    let email = email_field(&mut p, "email", input.email.as_deref());
    let password = input.password.unwrap_or_default();
    if password.chars().count() < MIN_PASSWORD {
        p.add(
            "password",
            format!("must be at least {MIN_PASSWORD} characters"),
        );
    } else if password.len() > MAX_PASSWORD {
        p.add("password", format!("must be at most {MAX_PASSWORD} bytes"));
    }
    let product = product_field(&mut p, input.product.as_deref());
    let timezone = input.timezone.unwrap_or_else(|| "UTC".into());
    timezone_field(&mut p, &timezone);
    p.finish()?;
    let (email, product) = (email.expect("checked"), product.expect("checked"));

    let tenant_id = Uuid::new_v4();
    tracing::Span::current().record("tenant.id", tracing::field::display(tenant_id));
    let new_tenant = NewTenant {
        id: tenant_id,
        name: name.to_owned(),
        product: product.to_string(),
        subscription_status: match state.payment_mode {
            PaymentMode::Stripe => "none",
            PaymentMode::Manual => "pending",
        }
        .into(),
        timezone,
        // The owner hears about escalations and, through Reply-To, gets
        // the leads' answers until the settings say otherwise.
        notification_email: Some(email.clone()),
    };
    let user = User {
        id: Uuid::new_v4(),
        tenant_id,
        product: product.to_string(),
        email,
        password_hash: passwords::hash(password)
            .await
            .map_err(ApiError::Internal)?,
        role: "owner".into(),
        created_at: chrono::Utc::now(),
    };
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let (tenant, user) = conn
        .transaction(async |c| repo::tenants::create(c, &new_tenant, &user).await)
        .await
        .map_err(|e| match e {
            MemoryError::Conflict(_) => {
                ApiError::Conflict("this email is already registered for this product".into())
            }
            other => other.into(),
        })?;
    drop(conn);
    // The Stripe customer is created now so checkout is one click later; if
    // Stripe is down, checkout creates it (same idempotency key).
    if billing::uses_stripe(state)
        && let Err(e) = billing::ensure_customer(state, &tenant, &user.email).await
    {
        tracing::warn!(error = %e, "Stripe customer not created at sign-up; checkout will retry");
    }
    let token = state.jwt.issue(user.id, tenant.id, product, &user.role);
    Ok(Session {
        tenant,
        user,
        token,
    })
}

/// POST /api/auth/login: one 401 for every wrong combination, after the
/// same amount of hashing work either way.
#[tracing::instrument(skip_all, fields(tenant.id))]
pub async fn log_in(state: &AppState, input: LoginInput) -> Result<Session, ApiError> {
    let mut p = Problems::default();
    let product = product_field(&mut p, input.product.as_deref());
    if input.email.as_deref().is_none_or(|e| e.trim().is_empty()) {
        p.add("email", "is required");
    }
    if input.password.as_deref().is_none_or(str::is_empty) {
        p.add("password", "is required");
    }
    p.finish()?;
    let (email, password, product) = (
        input.email.unwrap_or_default(),
        input.password.unwrap_or_default(),
        product.expect("checked"),
    );
    let email = email.trim();
    // Per account as well as per IP (the middleware's limit), so one email
    // cannot be guessed at from many addresses.
    state
        .limiter
        .check(
            "login-email",
            &format!("{product}:{}", email.to_lowercase()),
            state.limiter.auth_limit(),
        )
        .await?;
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let user = repo::users::find_by_email(&mut conn, product.as_str(), email).await?;
    drop(conn);
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    if password.len() > MAX_PASSWORD
        || !passwords::verify(password, stored)
            .await
            .map_err(ApiError::Internal)?
    {
        return Err(ApiError::Unauthorized);
    }
    let user = user.expect("a matching password implies a user");
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let tenant = access::tenant(&mut conn, state, user.tenant_id, product, Gate::Open).await?;
    tracing::Span::current().record("tenant.id", tracing::field::display(tenant.id));
    let token = state.jwt.issue(user.id, tenant.id, product, &user.role);
    Ok(Session {
        tenant,
        user,
        token,
    })
}

/// The caller's tenant and user.
pub async fn current(state: &AppState, auth: &Auth) -> Result<(Tenant, User), ApiError> {
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let tenant = access::tenant(&mut conn, state, auth.tenant_id, auth.product, Gate::Open).await?;
    let user = match repo::users::find(&mut conn, tenant.id, auth.user_id).await {
        Err(MemoryError::NotFound) => return Err(ApiError::Unauthorized),
        other => other?,
    };
    Ok((tenant, user))
}

/// Absent keeps a value, `null` clears it (for the optional ones).
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingsInput {
    pub timezone: Option<String>,
    /// `{"mon":[["09:00","17:00"]],...}` in the tenant's time zone.
    #[schema(value_type = Option<Object>)]
    pub business_hours: Option<BTreeMap<String, Vec<[String; 2]>>>,
    pub meeting_duration_minutes: Option<i32>,
    #[serde(default, deserialize_with = "nullable")]
    pub notification_email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub from_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub reply_to: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub physical_address: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub calendar_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub webhook_url: Option<Option<String>>,
}

/// Text that goes into mail headers: bounded, no line breaks (header
/// injection), blank means cleared.
fn header_text(
    p: &mut Problems,
    field: &str,
    value: Option<Option<String>>,
    max: usize,
) -> Option<Option<String>> {
    value.map(|v| {
        let v = v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        if let Some(s) = &v
            && (s.chars().count() > max || s.contains(['\r', '\n']))
        {
            p.add(
                field,
                format!("must be one line of at most {max} characters"),
            );
        }
        v
    })
}

fn optional_email(
    p: &mut Problems,
    field: &str,
    value: Option<Option<String>>,
) -> Option<Option<String>> {
    value.map(|v| match v.filter(|s| !s.trim().is_empty()) {
        None => None,
        Some(s) => email_field(p, field, Some(&s)),
    })
}

/// PUT /api/tenant/settings: validates everything, then one update.
#[tracing::instrument(skip_all, fields(tenant.id = %auth.tenant_id))]
pub async fn update_settings(
    state: &AppState,
    auth: &Auth,
    input: SettingsInput,
) -> Result<Tenant, ApiError> {
    let mut p = Problems::default();
    if let Some(tz) = &input.timezone {
        timezone_field(&mut p, tz);
    }
    let business_hours =
        input
            .business_hours
            .as_ref()
            .and_then(|raw| match BusinessHours::parse(raw) {
                Ok(h) => Some(serde_json::to_value(h).expect("business hours serialize")),
                Err(problem) => {
                    p.add("businessHours", problem);
                    None
                }
            });
    if let Some(m) = input.meeting_duration_minutes
        && !(10..=240).contains(&m)
    {
        p.add("meetingDurationMinutes", "must be from 10 to 240");
    }
    let settings = TenantSettings {
        timezone: input.timezone.clone(),
        business_hours,
        meeting_duration_minutes: input.meeting_duration_minutes,
        notification_email: optional_email(&mut p, "notificationEmail", input.notification_email),
        from_name: header_text(&mut p, "fromName", input.from_name, 100),
        reply_to: optional_email(&mut p, "replyTo", input.reply_to),
        physical_address: header_text(&mut p, "physicalAddress", input.physical_address, 300),
        calendar_id: header_text(&mut p, "calendarId", input.calendar_id, 255),
        webhook_url: match input.webhook_url {
            Some(Some(url)) if !url.trim().is_empty() => {
                if let Err(problem) = check_webhook_url(state, url.trim()).await {
                    p.add("webhookUrl", problem);
                }
                Some(Some(url.trim().to_owned()))
            }
            Some(_) => Some(None),
            None => None,
        },
    };
    p.finish()?;
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let tenant = access::tenant(&mut conn, state, auth.tenant_id, auth.product, Gate::Open).await?;
    Ok(repo::tenants::update_settings(&mut conn, tenant.id, &settings).await?)
}

/// The same guard that delivery uses, so a URL accepted here is one the
/// worker will call: https in production, never a private address.
async fn check_webhook_url(state: &AppState, url: &str) -> Result<(), String> {
    if state.production && !url.starts_with("https://") {
        return Err("must be an https URL".into());
    }
    action_layer::check_public_url(url, !state.production)
        .await
        .map(|_| ())
        .map_err(|e| format!("is not allowed: {e}"))
}
