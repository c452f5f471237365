/**
 * What travels on the event bus between concerns: the addresses and the typed records that go with them. A leaf:
 * it imports no other package of the agent, so any concern can publish or consume without depending on another
 * (docs/architecture.md).
 */
package dev.nodepulse.bus;
