/* test_agent_steal.c - the rule by which a worker drains a peer's ring
 * (src/agent/steal_rule.h), clause by clause, against docs/workers.md
 * "Stealing": records that waited 100 us with the peer's consumer position
 * unchanged are taken; not from a peer whose last batch took over 1 ms;
 * nothing while the worker's own ring has records. Times are K nanoseconds
 * chosen by hand; the expected answers are the doc's, worked out here. */
#include "test.h"

#include "agent/steal_rule.h"

#define T0 5000000000ull /* any K time that is not 0 */
#define FAST 20000ull	 /* a peer whose last batch took 20 us */

TEST(waits_100us_at_one_position)
{
	struct agent_steal_seen s = {0};
	/* the first look only notes the position and the time */
	CHECK(!agent_steal_due(&s, false, true, 7, T0, FAST));
	CHECK(!agent_steal_due(&s, false, true, 7, T0 + 50000, FAST));
	CHECK(!agent_steal_due(&s, false, true, 7, T0 + 99999, FAST));
	CHECK(agent_steal_due(&s, false, true, 7, T0 + 100000, FAST));
	CHECK(agent_steal_due(&s, false, true, 7, T0 + 3000000, FAST));
}

TEST(owner_moving_restarts_the_wait)
{
	struct agent_steal_seen s = {0};
	CHECK(!agent_steal_due(&s, false, true, 7, T0, FAST));
	/* the owner drained some (position 9) but records are still there:
	 * it is running, the 100 us count from this look */
	CHECK(!agent_steal_due(&s, false, true, 9, T0 + 150000, FAST));
	CHECK(!agent_steal_due(&s, false, true, 9, T0 + 249999, FAST));
	CHECK(agent_steal_due(&s, false, true, 9, T0 + 250000, FAST));
}

TEST(empty_peer_ring_forgets)
{
	struct agent_steal_seen s = {0};
	CHECK(!agent_steal_due(&s, false, true, 7, T0, FAST));
	CHECK(!agent_steal_due(&s, false, false, 0, T0 + 60000, FAST));
	/* pending again at the same position: new records, a new wait */
	CHECK(!agent_steal_due(&s, false, true, 7, T0 + 120000, FAST));
	CHECK(!agent_steal_due(&s, false, true, 7, T0 + 219999, FAST));
	CHECK(agent_steal_due(&s, false, true, 7, T0 + 220000, FAST));
}

TEST(never_from_a_slow_guest)
{
	struct agent_steal_seen s = {0};
	CHECK(!agent_steal_due(&s, false, true, 7, T0, 1000001));
	CHECK(!agent_steal_due(&s, false, true, 7, T0 + 5000000, 1000001));
	CHECK(!agent_steal_due(&s, false, true, 7, T0 + 5000000, 40000000));
	/* exactly 1 ms is not "over 1 ms" */
	CHECK(agent_steal_due(&s, false, true, 7, T0 + 5000000, 1000000));
	/* its next batch was quick again: the wait already served counts */
	CHECK(agent_steal_due(&s, false, true, 7, T0 + 5000001, FAST));
}

TEST(own_ring_first)
{
	struct agent_steal_seen s = {0};
	CHECK(!agent_steal_due(&s, false, true, 7, T0, FAST));
	/* the worker's own records wait: nothing is taken however long */
	CHECK(!agent_steal_due(&s, true, true, 7, T0 + 500000, FAST));
	CHECK(!agent_steal_due(&s, true, true, 7, T0 + 90000000, FAST));
	/* and nothing is learnt meanwhile: the wait noted before stands */
	CHECK(agent_steal_due(&s, false, true, 7, T0 + 90000001, FAST));
	struct agent_steal_seen u = {0};
	CHECK(!agent_steal_due(&u, true, true, 7, T0, FAST));
	CHECK_EQ_INT(u.since, 0);
	CHECK(!agent_steal_due(&u, false, true, 7, T0 + 200000, FAST)); /* a first look */
}

TEST(after_a_steal_the_ring_is_looked_at_afresh)
{
	struct agent_steal_seen s = {0};
	CHECK(!agent_steal_due(&s, false, true, 7, T0, FAST));
	CHECK(agent_steal_due(&s, false, true, 7, T0 + 100000, FAST));
	agent_steal_taken(&s);
	/* the budget left records at the same position: they wait anew */
	CHECK(!agent_steal_due(&s, false, true, 7, T0 + 100001, FAST));
	CHECK(!agent_steal_due(&s, false, true, 7, T0 + 200000, FAST));
	CHECK(agent_steal_due(&s, false, true, 7, T0 + 200001, FAST));
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(waits_100us_at_one_position);
	RUN(owner_moving_restarts_the_wait);
	RUN(empty_peer_ring_forgets);
	RUN(never_from_a_slow_guest);
	RUN(own_ring_first);
	RUN(after_a_steal_the_ring_is_looked_at_afresh);
	return test_done();
}
