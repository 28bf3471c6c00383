// SPDX-License-Identifier: GPL-2.0

//! [`wire_enum!`]: the shape of every wire enumeration of the core (PF_KEY,
//! `linux/ipsec.h` and IP protocol numbers).
//!
//! A wire enumeration is a newtype over its wire integer with named
//! constants, so values the core does not know still parse and re-encode
//! unchanged; whoever acts on a value decides what an unknown one means.

/// Declares a wire enumeration: a newtype with named constants, `name()` and
/// a `Debug` that prints the name when there is one.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident($repr:ty) {
            $( $(#[$cdoc:meta])* $cname:ident = $val:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
        pub struct $name(pub $repr);

        impl $name {
            $( $(#[$cdoc])* pub const $cname: $name = $name($val); )*

            /// The name of the constant with this value, if there is one.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $val => Some(stringify!($cname)), )*
                    _ => None,
                }
            }
        }

        impl ::core::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "{}({})", stringify!($name), self.0),
                }
            }
        }
    };
}

pub(crate) use wire_enum;
