package dev.nodepulse.tasks;

import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.model.ClusterStatus;
import dev.nodepulse.tasks.model.Declaration;
import dev.nodepulse.tasks.model.DelayedTask;
import dev.nodepulse.tasks.model.LocalCodec;
import dev.nodepulse.tasks.model.Origin;
import dev.nodepulse.tasks.model.RunRequest;
import dev.nodepulse.tasks.model.Synced;
import dev.nodepulse.tasks.model.TaskJson;
import dev.nodepulse.tasks.model.Withdrawal;
import dev.nodepulse.tasks.run.Refusal;
import dev.nodepulse.tasks.run.Runner;
import dev.nodepulse.tasks.run.Scheduler;
import dev.nodepulse.tasks.status.BusSinks;
import dev.nodepulse.tasks.status.ClusterStatuses;
import dev.nodepulse.tasks.status.StatusSink;
import dev.nodepulse.tasks.status.StatusStore;
import dev.nodepulse.tasks.target.Targets;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task pipeline's verticle, and its bus protocol: it opens the status store, builds the
 * {@link Scheduler} with the run mode's {@link Plugins} and the sinks (page, metrics, run history, then the
 * plugins' own), and answers the addresses below. The work is in {@code tasks.run} and {@code tasks.status}.
 *
 * <p>Sources send typed records (registered with {@link LocalCodec}): {@link Declaration} on {@link #DECLARE},
 * {@link Withdrawal} on {@link #WITHDRAW}, {@link Synced} on {@link #SYNCED}. Failures are
 * {@code fail(status, {"error": ...})}.
 */
public final class TasksVerticle extends VerticleBase {
  public static final String LIST = "nodepulse.tasks.list";
  public static final String GET = "nodepulse.tasks.get";
  public static final String RUNS = "nodepulse.tasks.runs";
  public static final String OUTPUT = "nodepulse.tasks.output";
  public static final String DECLARE = "nodepulse.tasks.declare";
  /** A dry run of {@link #DECLARE}: a valid {@link Declaration} → the same answer, nothing declared or stored. */
  public static final String PREVIEW = "nodepulse.tasks.preview";
  public static final String WITHDRAW = "nodepulse.tasks.withdraw";
  public static final String SYNCED = "nodepulse.tasks.synced";
  /** Run now: {@code {"namespace", "name", "requestId"}} (a checked id) → {@code {"requestId", "accepted", "task"}}. */
  public static final String RUN_NOW = "nodepulse.tasks.runNow";
  public static final String CHANGED = BusSinks.CHANGED;
  public static final String RUN = BusSinks.RUN;
  public static final String HEALTH = "nodepulse.health.scheduler";
  /** Tasks in a page of {@link #LIST} when none is asked, and the most a page holds. */
  public static final int DEFAULT_PAGE = 100;
  public static final int MAX_PAGE = 500;

  private static final Logger LOG = LoggerFactory.getLogger(TasksVerticle.class);

  private final Config config;
  private final Plugins plugins;
  private Scheduler scheduler;
  private StatusStore store;
  private Targets targets;
  private ClusterStatuses cluster;
  private volatile boolean ready;

  public TasksVerticle(Config config) {
    this(config, Plugins.standalone());
  }

  public TasksVerticle(Config config, Plugins plugins) {
    this.config = config;
    this.plugins = plugins;
  }

  @Override
  public Future<?> start() {
    LocalCodec.register(vertx);
    var bus = vertx.eventBus();
    bus.consumer(HEALTH, this::health);
    Runner runner = plugins.runner();
    if (runner == null) {
      targets = new Targets(vertx, config);
      runner = targets::start;
    }
    Runner chosen = runner;
    return StatusStore.open(vertx, config.dataDir(), dev.nodepulse.tasks.model.Limits.HISTORY_DEFAULT).map(opened -> {
      store = opened.getKey();
      List<StatusSink> sinks = new ArrayList<>();
      cluster = new ClusterStatuses(config.nodeName());
      sinks.add(BusSinks.page(vertx, cluster::json));
      sinks.add(BusSinks.metrics(vertx, plugins.clock()));
      sinks.add(store.history());
      sinks.addAll(plugins.sinks());
      scheduler = new Scheduler(vertx, config, plugins.clock(), chosen, plugins.claims(), plugins.secrets(), store,
          sinks, opened.getValue());
      bus.<Object>consumer(LIST, msg -> answer(msg, () -> list(msg)));
      bus.<Object>consumer(GET, msg -> answer(msg, () -> {
        JsonObject k = key(msg);
        return cluster.json(scheduler.get(k.getString("namespace"), k.getString("name")));
      }));
      bus.<Object>consumer(RUN_NOW, msg -> answer(msg, () -> {
        JsonObject k = key(msg);
        RunRequest r = new RunRequest(k.getString("namespace"), k.getString("name"),
            ((JsonObject) msg.body()).getString("requestId"));
        // fromAnnotation: sent by kube.CrdSource only (the REST route sends namespace, name and requestId)
        boolean accepted = scheduler.runNow(r, ((JsonObject) msg.body()).getBoolean("fromAnnotation", false));
        return new JsonObject().put("requestId", r.requestId()).put("accepted", accepted)
            .put("task", cluster.json(scheduler.get(r.namespace(), r.name())));
      }));
      bus.<Object>consumer(RUNS, msg -> {
        JsonObject k = key(msg);
        JsonObject latest;
        try {
          latest = clusterLastRun(scheduler.get(k.getString("namespace"), k.getString("name")));
        } catch (Refusal r) {
          fail(msg, r);
          return;
        }
        store.history().runs(k.getString("namespace") + "/" + k.getString("name")).onComplete(ar -> {
          if (ar.succeeded()) {
            msg.reply(latest == null ? ar.result() : ar.result().copy().put("lastRun", latest));
          } else {
            msg.fail(503, error("the run history cannot be read: " + store.lastError()));
          }
        });
      });
      bus.<Object>consumer(OUTPUT, msg -> {
        JsonObject k = key(msg);
        String key = k.getString("namespace") + "/" + k.getString("name");
        JsonObject latest;
        try {
          latest = clusterLastRun(scheduler.get(k.getString("namespace"), k.getString("name")));
        } catch (Refusal r) {
          fail(msg, r);
          return;
        }
        String elsewhere = latest == null || config.nodeName().equals(latest.getString("node")) ? null
            : latest.getString("node");
        store.history().output(key).onComplete(ar -> {
          if (ar.failed()) {
            msg.fail(503, error("the output cannot be read"));
          } else if (ar.result() == null && elsewhere != null) {
            msg.fail(404, error("task " + key + " has no run output on this node (" + config.nodeName()
                + "): its latest run ran on " + elsewhere + ", whose agent keeps its output"));
          } else if (ar.result() == null) {
            msg.fail(404, error("task " + key + " has no run output yet"));
          } else {
            msg.reply(ar.result());
          }
        });
      });
      bus.<ClusterStatus>consumer(ClusterStatus.ADDRESS, this::clusterStatus);
      bus.<Declaration>consumer(DECLARE, this::declare);
      bus.<Object>consumer(PREVIEW, msg -> answer(msg, () -> {
        Scheduler.Declared p = scheduler.preview((Declaration) msg.body());
        return new JsonObject().put("created", p.created()).put("task", TaskJson.toJson(p.task()));
      }));
      bus.<Withdrawal>consumer(WITHDRAW, this::withdraw);
      bus.<Synced>consumer(SYNCED, msg -> answer(msg, () ->
          new JsonObject().put("forgotten", scheduler.synced(msg.body().kind()))));
      ready = true;
      LOG.info("task pipeline ready: {} tasks, state in {}", scheduler.size(), config.dataDir().resolve("tasks.db"));
      return null;
    });
  }

  @Override
  public Future<?> stop() {
    if (scheduler != null) {
      scheduler.stop();
    }
    if (targets != null) {
      targets.close();
    }
    return store == null ? Future.succeededFuture() : store.close();
  }

  /**
   * A declaration. A REST-posted task lives only in tasks.db, so it is answered once it is committed there:
   * refused (503, nothing changed) while the store cannot be written; if the write fails after all, a new task
   * is taken back and the answer is 503.
   */
  private void declare(Message<Declaration> msg) {
    Declaration d;
    try {
      d = msg.body();
    } catch (ClassCastException e) {
      msg.fail(400, error("not a task request"));
      return;
    }
    boolean durable = d.origin().kind() == Origin.Kind.REST;
    if (durable && store.failing()) {
      msg.fail(503, error("the task is not stored: " + store.lastError()));
      return;
    }
    Scheduler.Declared declared;
    try {
      declared = scheduler.declare(d);
    } catch (Refusal r) {
      fail(msg, r);
      return;
    }
    JsonObject answer = new JsonObject().put("created", declared.created()).put("task", TaskJson.toJson(declared.task()));
    if (!durable) {
      msg.reply(answer);
      return;
    }
    store.writeNow(d.key()).onComplete(w -> {
      if (w.succeeded()) {
        msg.reply(answer);
        return;
      }
      if (declared.created()) {
        scheduler.withdraw(d.origin(), d.key());
        msg.fail(503, error("the task is not stored: " + store.lastError()));
      } else {
        msg.fail(503, error("the change is in effect but not stored yet (" + store.lastError()
            + "); it is written when tasks.db can be, and lost if the agent stops before"));
      }
    });
  }

  /** A withdrawal; a REST-posted task's removal is answered once it is committed to tasks.db (see declare). */
  private void withdraw(Message<Withdrawal> msg) {
    Withdrawal w;
    try {
      w = msg.body();
    } catch (ClassCastException e) {
      msg.fail(400, error("not a task request"));
      return;
    }
    boolean durable = w.origin().kind() == Origin.Kind.REST;
    if (durable && store.failing()) {
      msg.fail(503, error("the task is not removed: " + store.lastError()));
      return;
    }
    try {
      scheduler.withdraw(w.origin(), w.key());
    } catch (Refusal r) {
      fail(msg, r);
      return;
    }
    if (!durable) {
      msg.reply(new JsonObject());
      return;
    }
    store.commit().onComplete(c -> {
      if (c.succeeded()) {
        msg.reply(new JsonObject());
      } else {
        msg.fail(503, error("the task is removed here but its removal is not stored yet (" + store.lastError()
            + "); it is written when tasks.db can be, and the task comes back if the agent stops before"));
      }
    });
  }

  /**
   * The {@code scheduler} component: not ready while tasks.db cannot be written (runs are held), with why;
   * degraded and still ready after a damaged tasks.db was set aside at start-up.
   */
  private void health(Message<Object> msg) {
    String lastError = store == null ? null : store.lastError();
    boolean failing = store != null && store.failing();
    int held = scheduler == null ? 0 : scheduler.held();
    if (failing) {
      lastError = lastError + " (runs held now: " + held + ")";
    }
    msg.reply(new JsonObject().put("state", ready ? (lastError != null ? "degraded" : "up") : "starting")
        .put("ready", ready && !failing).put("tasks", scheduler == null ? 0 : scheduler.size())
        .put("running", scheduler == null ? 0 : scheduler.running()).put("held", held).put("lastError", lastError));
  }

  /**
   * One page of the list: {@code {"limit": 1..MAX_PAGE, "after": "<namespace/name>"?}} (checked by web, where it
   * enters) → {@code {"items": [...], "last": key?, "remaining": n?}}, {@code last} and {@code remaining} only
   * when more tasks follow. Only this page's JSON is built.
   */
  private JsonObject list(Message<Object> msg) {
    JsonObject body = msg.body() instanceof JsonObject j ? j : new JsonObject();
    int limit = body.getInteger("limit", DEFAULT_PAGE);
    if (limit < 1 || limit > MAX_PAGE) {
      throw new Refusal(400, "limit must be a whole number from 1 to " + MAX_PAGE + ", not " + limit);
    }
    Scheduler.Page page = scheduler.page(body.getString("after"), limit);
    JsonArray items = new JsonArray(new ArrayList<>(page.items().size()));
    page.items().forEach(t -> items.add(cluster.json(t)));
    JsonObject out = new JsonObject().put("items", items);
    if (page.remaining() > 0 && !page.items().isEmpty()) {
      out.put("last", page.items().getLast().key()).put("remaining", page.remaining());
    }
    return out;
  }

  /** What the cluster side tells of a task's status: kept, and shown to the page when the task is known here. */
  private void clusterStatus(Message<ClusterStatus> msg) {
    if (!(msg.body() instanceof ClusterStatus s)) {
      return;
    }
    cluster.put(s);
    int slash = s.key().indexOf('/');
    try {
      DelayedTask t = scheduler.get(s.key().substring(0, slash), s.key().substring(slash + 1));
      vertx.eventBus().publish(CHANGED, cluster.json(t));
    } catch (Refusal | IndexOutOfBoundsException unknownHere) {
      // not declared here (yet): its declaration is shown with this status
    }
  }

  /** The task's latest run in the cluster, wherever it ran (Kubernetes mode), or null. */
  private JsonObject clusterLastRun(DelayedTask t) {
    JsonObject c = cluster.of(t);
    return c == null ? null : c.getJsonObject("lastRun");
  }

  private static JsonObject key(Message<?> msg) {
    JsonObject body = msg.body() instanceof JsonObject j ? j : new JsonObject();
    return new JsonObject().put("namespace", body.getString("namespace", "default"))
        .put("name", body.getString("name", ""));
  }

  private static void answer(Message<?> msg, Supplier<Object> work) {
    try {
      msg.reply(work.get());
    } catch (Refusal r) {
      fail(msg, r);
    } catch (ClassCastException | NullPointerException e) {
      msg.fail(400, error("not a task request"));
    }
  }

  private static void fail(Message<?> msg, Refusal r) {
    msg.fail(r.status(), error(r.getMessage()));
  }

  private static String error(String message) {
    return new JsonObject().put("error", message).encode();
  }
}
