/**
 * The cluster's decisions as pure functions, tested as tables on a fixed clock: which member claims a due time and
 * when ({@code ClaimRule}, by {@code Rendezvous} hashing over the {@code AgentLease}s), the same for run now
 * ({@code RunNowRule}), what a result counts in a DelayedTask's status ({@code ResultStatus}) and the status derived
 * from its facts ({@code DerivedStatus}). No I/O; imports only {@code kube.wire} and {@code kube.crd} of Kubernetes mode.
 */
package dev.nodepulse.kube.rules;
