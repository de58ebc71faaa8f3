//! Compile-fail tests of the kernel DSL, grouped by error kind under `tests/ui/<kind>/`: every
//! `.stderr` must point at the user's token with a message that says what is supported.
//! Regenerate with `TRYBUILD=overwrite cargo test --test all ops::ui::`, then read every `.stderr`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*/*.rs");
}
