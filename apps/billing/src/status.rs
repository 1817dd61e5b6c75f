//! An invoice's lifecycle, as Stripe defines it: `draft` → `open` (finalized, numbered,
//! immutable) → `paid` | `void` | `uncollectible`; an uncollectible invoice can still be paid
//! or voided.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where an invoice is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    /// Editable and deletable; no number yet.
    Draft,
    /// Finalized and due.
    Open,
    /// Settled in full.
    Paid,
    /// Cancelled after finalizing; its number stays used.
    Void,
    /// Written off as not going to be paid.
    Uncollectible,
}

impl InvoiceStatus {
    /// Every status.
    pub const ALL: [Self; 5] = [Self::Draft, Self::Open, Self::Paid, Self::Void, Self::Uncollectible];

    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Open => "open",
            Self::Paid => "paid",
            Self::Void => "void",
            Self::Uncollectible => "uncollectible",
        }
    }

    /// The status named `text`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// Whether an invoice in this status may move to `to`.
    pub fn may_become(self, to: Self) -> bool {
        matches!(
            (self, to),
            (Self::Draft, Self::Open)
                | (Self::Open | Self::Uncollectible, Self::Paid | Self::Void)
                | (Self::Open, Self::Uncollectible)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::InvoiceStatus::{self, *};

    #[test]
    fn only_stripes_transitions_are_allowed() {
        let allowed = [
            (Draft, Open),
            (Open, Paid),
            (Open, Void),
            (Open, Uncollectible),
            (Uncollectible, Paid),
            (Uncollectible, Void),
        ];
        for from in InvoiceStatus::ALL {
            for to in InvoiceStatus::ALL {
                assert_eq!(from.may_become(to), allowed.contains(&(from, to)), "{from:?} → {to:?}");
            }
            assert_eq!(InvoiceStatus::parse(from.as_str()), Some(from));
        }
    }
}
