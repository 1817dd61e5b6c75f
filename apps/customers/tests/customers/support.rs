//! The customers stories' shared piece comes from the test kit: a customer made the way
//! production makes one (a won lead, converted).

pub use baseops_test_support::customers::converted_lead;
