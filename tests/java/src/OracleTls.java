import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyContext;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * The Java client over TLS: a producer and a push consumer with setUseTLS(--tls), the rest of the TLS settings
 * from the JVM's -Dtls.* system properties (TlsSystemConfig). Sends -c messages, then consumes them:
 *
 *   SEND <i> <status> <msgId>
 *   FAIL <i> <exception class>: <message>
 *   MSG <msgId> <body>
 *   DONE sent=<n> received=<n>       (every sent message was received)
 *   TIMEOUT sent=<n> received=<n>
 *
 * Options: -n NAMESRV -t TOPIC -c COUNT -o OUTFILE [--tls true|false] [--timeout S]
 */
public class OracleTls {
    public static void main(String[] argv) throws Exception {
        Map<String, String> a = OracleArgs.parse(argv);
        final PrintStream out = OracleArgs.log(a);
        boolean useTls = Boolean.parseBoolean(a.getOrDefault("--tls", "true"));
        int count = Integer.parseInt(a.get("-c"));
        int timeout = Integer.parseInt(a.getOrDefault("--timeout", "90"));
        String topic = a.get("-t");

        DefaultMQProducer producer = new DefaultMQProducer("PID_oracle_tls");
        producer.setNamesrvAddr(a.get("-n"));
        producer.setUseTLS(useTls);
        producer.setSendMsgTimeout(5000);
        producer.start();
        final Set<String> sent = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < count; i++) {
            try {
                Message msg = new Message(topic, "TagTls", ("tls message " + i).getBytes(StandardCharsets.UTF_8));
                SendResult r = producer.send(msg);
                out.println("SEND " + i + " " + r.getSendStatus() + " " + r.getMsgId());
                sent.add(r.getMsgId());
            } catch (Exception e) {
                out.println("FAIL " + i + " " + (e.getClass().getSimpleName() + ": " + e.getMessage())
                    .replace('\n', ' '));
            }
        }
        producer.shutdown();
        if (sent.isEmpty()) {
            out.println("DONE sent=0 received=0");
            System.exit(0);
        }

        final Set<String> received = ConcurrentHashMap.newKeySet();
        final CountDownLatch all = new CountDownLatch(1);
        DefaultMQPushConsumer consumer = OracleArgs.subscribeAll(new DefaultMQPushConsumer("CID_oracle_tls"), a);
        consumer.setUseTLS(useTls);
        consumer.registerMessageListener(new MessageListenerConcurrently() {
            @Override
            public ConsumeConcurrentlyStatus consumeMessage(List<MessageExt> msgs, ConsumeConcurrentlyContext ctx) {
                for (MessageExt m : msgs) {
                    out.println("MSG " + m.getMsgId() + " " + new String(m.getBody(), StandardCharsets.UTF_8)
                        .replace(' ', '_'));
                    if (sent.contains(m.getMsgId())) {
                        received.add(m.getMsgId());
                    }
                }
                if (received.containsAll(sent)) {
                    all.countDown();
                }
                return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            }
        });
        consumer.start();
        boolean done = all.await(timeout, TimeUnit.SECONDS);
        out.println((done ? "DONE" : "TIMEOUT") + " sent=" + sent.size() + " received=" + received.size());
        consumer.shutdown();
        System.exit(0);
    }
}
