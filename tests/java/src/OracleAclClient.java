import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.rocketmq.acl.common.AclClientRPCHook;
import org.apache.rocketmq.acl.common.SessionCredentials;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyContext;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragely;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.remoting.RPCHook;

/**
 * The Java client signing with AclClientRPCHook(new SessionCredentials(ak, sk)), one flushed line per event:
 *
 *   produce: SEND <i> <status> <msgId> <queueId> <queueOffset>
 *            FAIL <i> <exception class> | <root cause class> <responseCode or -> | <root cause message>
 *            DONE
 *   consume: MSG <body>  ... then DONE (every body of --bodies seen) or TIMEOUT <missing>
 *
 * Bodies are "<prefix>-<i>" (UTF-8). Options: produce|consume -n NAMESRV -t TOPIC -g GROUP -o OUTFILE --ak AK
 * --sk SK [-c COUNT] [--prefix P] [--timeout S] (consume: waits for <prefix>-0 .. <prefix>-(COUNT-1)).
 */
public class OracleAclClient {
    static Throwable root(Throwable e) {
        Throwable r = e;
        while (r.getCause() != null && r.getCause() != r) {
            r = r.getCause();
        }
        return r;
    }

    static String oneLine(String s) {
        return s == null ? "null" : s.replace('\n', ' ').replace('\r', ' ');
    }

    public static void main(String[] argv) throws Exception {
        String mode = argv[0];
        String[] rest = new String[argv.length - 1];
        System.arraycopy(argv, 1, rest, 0, rest.length);
        Map<String, String> a = OracleArgs.parse(rest);
        final PrintStream out = OracleArgs.log(a);
        RPCHook hook = new AclClientRPCHook(new SessionCredentials(a.get("--ak"), a.get("--sk")));
        int count = Integer.parseInt(a.getOrDefault("-c", "5"));
        String prefix = a.getOrDefault("--prefix", "acl");

        if (mode.equals("produce")) {
            DefaultMQProducer producer = new DefaultMQProducer(a.get("-g"), hook);
            producer.setNamesrvAddr(a.get("-n"));
            producer.setSendMsgTimeout(5000);
            producer.start();
            for (int i = 0; i < count; i++) {
                Message msg = new Message(a.get("-t"), "TagA", "key" + i,
                    (prefix + "-" + i).getBytes(StandardCharsets.UTF_8));
                try {
                    SendResult r = producer.send(msg);
                    out.println("SEND " + i + " " + r.getSendStatus() + " " + r.getMsgId() + " "
                        + r.getMessageQueue().getQueueId() + " " + r.getQueueOffset());
                } catch (Exception e) {
                    Throwable c = root(e);
                    String code = c instanceof MQBrokerException ? String.valueOf(((MQBrokerException) c).getResponseCode())
                        : c instanceof MQClientException ? String.valueOf(((MQClientException) c).getResponseCode()) : "-";
                    String text = c instanceof MQBrokerException ? ((MQBrokerException) c).getErrorMessage()
                        : c instanceof MQClientException ? ((MQClientException) c).getErrorMessage() : c.getMessage();
                    out.println("FAIL " + i + " " + e.getClass().getName() + " | " + c.getClass().getName() + " "
                        + code + " | " + oneLine(text));
                }
            }
            producer.shutdown();
            out.println("DONE");
        } else {
            final Set<String> missing = ConcurrentHashMap.newKeySet();
            for (int i = 0; i < count; i++) {
                missing.add(prefix + "-" + i);
            }
            final CountDownLatch done = new CountDownLatch(1);
            DefaultMQPushConsumer consumer = OracleArgs.subscribeAll(
                new DefaultMQPushConsumer(a.get("-g"), hook, new AllocateMessageQueueAveragely()), a);
            consumer.registerMessageListener(new MessageListenerConcurrently() {
                @Override
                public ConsumeConcurrentlyStatus consumeMessage(List<MessageExt> msgs, ConsumeConcurrentlyContext ctx) {
                    for (MessageExt m : msgs) {
                        String body = new String(m.getBody(), StandardCharsets.UTF_8);
                        synchronized (out) {
                            out.println("MSG " + body);
                        }
                        if (missing.remove(body) && missing.isEmpty()) {
                            done.countDown();
                        }
                    }
                    return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
                }
            });
            consumer.start();
            boolean ok = done.await(Integer.parseInt(a.getOrDefault("--timeout", "60")), TimeUnit.SECONDS);
            synchronized (out) {
                out.println(ok ? "DONE" : "TIMEOUT " + new HashSet<>(missing));
            }
            consumer.shutdown();
        }
        out.close();
        System.exit(0);
    }
}
