//! The default roles seeded into every new organization. Each role has rules over every
//! app's permissions (the owner gets everything, the viewer every `*.view`); what a role
//! gets of one app's permissions beyond that, that app declares itself (its
//! `DEFAULT_GRANTS`), so an app added later lands in the right default roles without
//! editing this file. `docs/permissions_rbac.md` shows the resulting table.

pub use baseops_core::DefaultRole;
use baseops_core::Scope::All;

/// The key of the owner role, which every organization keeps at least one member in.
pub const OWNER: &str = "owner";

/// Owner, admin, manager, sales, accountant, marketer, support, viewer.
pub const DEFAULT_ROLES: &[DefaultRole] = &[
    DefaultRole {
        key: OWNER,
        name: "Owner",
        description: "Everything, including the organization itself",
        rules: &[("*", All)],
        except: &[],
    },
    DefaultRole {
        key: "admin",
        name: "Admin",
        description: "Everything except deleting the organization",
        rules: &[("*", All)],
        except: &["organizations.delete"],
    },
    DefaultRole {
        key: "manager",
        name: "Manager",
        description: "Runs the team: all tasks, leads and customers; sees reports and the audit trail",
        rules: &[("*.view", All)],
        except: &[],
    },
    DefaultRole {
        key: "sales",
        name: "Sales",
        description: "Works their own leads and tasks",
        rules: &[],
        except: &[],
    },
    DefaultRole {
        key: "accountant",
        name: "Accountant",
        description: "Billing, invoices and refunds; sees customers",
        rules: &[],
        except: &[],
    },
    DefaultRole {
        key: "marketer",
        name: "Marketer",
        description: "Campaigns and analytics; reads and exports leads",
        rules: &[],
        except: &[],
    },
    DefaultRole {
        key: "support",
        name: "Support",
        description: "Helps customers: reads leads and customers, works their own tasks",
        rules: &[],
        except: &[],
    },
    DefaultRole {
        key: "viewer",
        name: "Viewer",
        description: "Reads everything, changes nothing",
        rules: &[("*.view", All)],
        except: &["audit.view"],
    },
];
