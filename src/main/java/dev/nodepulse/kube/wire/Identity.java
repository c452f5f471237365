package dev.nodepulse.kube.wire;

import io.fabric8.kubernetes.api.model.authentication.SelfSubjectReview;
import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/** Who the API server takes this agent for: a SelfSubjectReview (authentication.k8s.io/v1, any authenticated user). */
public final class Identity {
  private Identity() {}

  /**
   * The user name and groups ({@code system:serviceaccount:ns:sa (groups system:serviceaccounts, ...)}); null when
   * the API server does not serve the review (before Kubernetes 1.28). A 401 is thrown: the credentials are wrong.
   */
  public static String of(KubernetesClient client) {
    try {
      SelfSubjectReview review = client.authentication().v1().selfSubjectReviews().create(new SelfSubjectReview());
      UserInfo u = review == null || review.getStatus() == null ? null : review.getStatus().getUserInfo();
      if (u == null || u.getUsername() == null) {
        return null;
      }
      return u.getUsername() + (u.getGroups() == null || u.getGroups().isEmpty() ? ""
          : " (groups " + String.join(", ", u.getGroups()) + ")");
    } catch (KubernetesClientException e) {
      if (e.getCode() == 401) {
        throw e;
      }
      return null;
    }
  }
}
