/**
 * Talking to the API server, below everything else of Kubernetes mode: the settings and the credentials as kubectl
 * takes them, the agent's identity, the objects as they travel ({@code Wire}: a DelayedTask read through the one task
 * reader, the spec's write time, status copies), a conflict retried, an error in a few words, whether an outage
 * recovers by itself and its one log line, the Events kept while the API server is away. Imports nothing of
 * {@code kube} but the CRD's classes.
 */
package dev.nodepulse.kube.wire;
