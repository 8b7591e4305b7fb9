//! Software updates as the console keeps them: whether it looks for them by itself, and what
//! the last look found. The looking and the checking of signatures happen in the desktop shell
//! (tauri-plugin-updater); this is what is remembered and shown.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct UpdateSettings {
    /// Look for updates at start and once a day, in the background. Off by default: a control
    /// room decides when its consoles change.
    #[serde(default)]
    pub auto_check: bool,
    #[serde(default)]
    pub last_check: Option<UpdateCheck>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct UpdateCheck {
    pub at: i64,
    pub outcome: UpdateOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum UpdateOutcome {
    UpToDate {
        version: String,
    },
    Available {
        version: String,
        current: String,
    },
    /// The update server could not be reached or answered nonsense (offline is normal here).
    Unreachable {
        reason: String,
    },
    /// An update was offered but refused: a bad signature, another key, a version that does not
    /// match what was signed.
    Rejected {
        version: String,
        reason: String,
    },
    /// Downloaded, verified and handed to the installer.
    Installed {
        version: String,
    },
}

impl UpdateOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::UpToDate { .. } => "up_to_date",
            Self::Available { .. } => "available",
            Self::Unreachable { .. } => "unreachable",
            Self::Rejected { .. } => "rejected",
            Self::Installed { .. } => "installed",
        }
    }
}
