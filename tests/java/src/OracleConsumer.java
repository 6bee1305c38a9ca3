import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.common.message.MessageClientExt;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * A push consumer (clustering, CONSUME_FROM_FIRST_OFFSET) that logs every message it receives:
 *
 *   MSG <msgId> <offsetMsgId> <brokerName> <queueId> <queueOffset> <keys> <bodyMd5> <reconsumeTimes> <storeHost>
 *   DONE <distinct msgIds>      (every id of --ids was received)
 *   TIMEOUT <distinct> <missing>
 *
 * Options: -n NAMESRV -t TOPIC -g GROUP -o OUTFILE --ids FILE (one msgId a line) [--timeout S]
 */
public class OracleConsumer {
    public static void main(String[] argv) throws Exception {
        Map<String, String> a = OracleArgs.parse(argv);
        final PrintStream out = OracleArgs.log(a);
        final Set<String> expected = new HashSet<>();
        for (String line : Files.readAllLines(Paths.get(a.get("--ids")), StandardCharsets.UTF_8)) {
            if (!line.trim().isEmpty()) {
                expected.add(line.trim());
            }
        }
        final Set<String> missing = ConcurrentHashMap.newKeySet();
        missing.addAll(expected);
        final Set<String> seen = ConcurrentHashMap.newKeySet();
        final CountDownLatch done = new CountDownLatch(1);
        if (missing.isEmpty()) {
            done.countDown();
        }
        int timeout = Integer.parseInt(a.getOrDefault("--timeout", "120"));

        DefaultMQPushConsumer consumer = OracleArgs.subscribeAll(new DefaultMQPushConsumer(a.get("-g")), a);
        consumer.registerMessageListener(new MessageListenerConcurrently() {
            @Override
            public ConsumeConcurrentlyStatus consumeMessage(List<MessageExt> msgs,
                org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyContext ctx) {
                for (MessageExt m : msgs) {
                    String offsetId = m instanceof MessageClientExt ? ((MessageClientExt) m).getOffsetMsgId() : "-";
                    String line;
                    try {
                        line = "MSG " + m.getMsgId() + " " + offsetId + " " + m.getBrokerName() + " "
                            + m.getQueueId() + " " + m.getQueueOffset() + " " + m.getKeys() + " "
                            + OracleProducer.md5(m.getBody()) + " " + m.getReconsumeTimes() + " "
                            + m.getStoreHost().toString().replace("/", "");
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                    synchronized (out) {
                        out.println(line);
                    }
                    seen.add(m.getMsgId());
                    if (missing.remove(m.getMsgId()) && missing.isEmpty()) {
                        done.countDown();
                    }
                }
                return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            }
        });
        consumer.start();
        boolean ok = done.await(timeout, TimeUnit.SECONDS);
        synchronized (out) {
            out.println(ok ? "DONE " + seen.size() : "TIMEOUT " + seen.size() + " " + missing.size());
        }
        out.close();
        // no consumer.shutdown(): it persists offsets to a broker that may be gone, which only costs time
        System.exit(ok ? 0 : 2);
    }
}
