/// Every key the bus touches, under one injectable prefix so tests (and
/// several deployments on one Redis) never see each other's streams.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    pub stream: String,
    pub retry: String,
    pub dead: String,
}

impl Keys {
    pub fn new(prefix: &str) -> Self {
        Self {
            stream: format!("{prefix}:events"),
            retry: format!("{prefix}:events:retry"),
            dead: format!("{prefix}:events:dead"),
        }
    }
}
