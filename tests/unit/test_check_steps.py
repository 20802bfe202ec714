from connector.check import Outcome, Step, run_steps, stops_later_steps


def fail() -> str:
    raise ValueError("the reason")


def test_a_failed_step_skips_the_steps_that_need_it_and_no_others() -> None:
    steps = [
        Step("GetPrincipal", fail, ""),
        Step("CheckEditPermissions", lambda: "allowed", "", needs=("GetPrincipal",)),
        Step("RunDirectoryQuery", lambda: "3 users", ""),
        Step("PlanSync", lambda: "3 would change", "", needs=("GetPrincipal", "RunDirectoryQuery")),
    ]
    seen: list[tuple[str, str, Outcome]] = []
    assert run_steps(steps, lambda step, line, outcome: seen.append((step.name, line, outcome))) is False
    assert seen == [
        ("GetPrincipal", "the reason", Outcome.FAILED),
        ("CheckEditPermissions", "not run: it needs GetPrincipal, which did not pass", Outcome.SKIPPED),
        ("RunDirectoryQuery", "3 users", Outcome.PASSED),
        ("PlanSync", "not run: it needs GetPrincipal, which did not pass", Outcome.SKIPPED),
    ]
    # The SDK's runner can only stop after a step: it does so after a step that another one needs.
    assert [stops_later_steps(step, steps) for step in steps] == [True, False, True, False]
    assert run_steps(steps[2:3], lambda *_: None) is True
