import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyContext;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionMQProducer;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * A producer and a push consumer with message trace on (enableMsgTrace=true, trace topic -r or the default
 * RMQ_SYS_TRACE_TOPIC). Sends COUNT messages, consumes them, then keeps both clients (and their background
 * trace dispatchers) up until the file --stop exists, so every trace record reaches the broker. Log lines:
 *
 *   SEND <msgId> <offsetMsgId> <status>
 *   CONSUMED <msgId>
 *   DONE                    (every sent message consumed)
 *   TIMEOUT
 *
 * Options: -n NAMESRV -t TOPIC -p PRODUCER_GROUP -g CONSUMER_GROUP -c COUNT -o OUTFILE --stop FILE
 *          [-r TRACE_TOPIC] [--timeout S] [--transaction true]   (transactional sends, each committed at once)
 */
public class OracleTrace {
    public static void main(String[] argv) throws Exception {
        Map<String, String> a = OracleArgs.parse(argv);
        final PrintStream out = OracleArgs.log(a);
        String traceTopic = a.get("-r");
        int count = Integer.parseInt(a.get("-c"));
        long deadline = System.currentTimeMillis() + 1000L * Integer.parseInt(a.getOrDefault("--timeout", "120"));
        final Set<String> consumed = ConcurrentHashMap.newKeySet();

        DefaultMQPushConsumer consumer = OracleArgs.subscribeAll(new DefaultMQPushConsumer(a.get("-g"), true, traceTopic), a);
        consumer.registerMessageListener(new MessageListenerConcurrently() {
            @Override
            public ConsumeConcurrentlyStatus consumeMessage(List<MessageExt> msgs, ConsumeConcurrentlyContext ctx) {
                for (MessageExt m : msgs) {
                    if (consumed.add(m.getMsgId())) {
                        out.println("CONSUMED " + m.getMsgId());
                    }
                }
                return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            }
        });
        consumer.start();

        boolean transactional = "true".equals(a.get("--transaction"));
        DefaultMQProducer producer;
        if (transactional) {
            TransactionMQProducer tp = new TransactionMQProducer(null, a.get("-p"), null, true, traceTopic);
            tp.setTransactionListener(new TransactionListener() {
                @Override
                public LocalTransactionState executeLocalTransaction(Message msg, Object arg) {
                    return LocalTransactionState.COMMIT_MESSAGE;
                }

                @Override
                public LocalTransactionState checkLocalTransaction(MessageExt msg) {
                    return LocalTransactionState.COMMIT_MESSAGE;
                }
            });
            producer = tp;
        } else {
            producer = new DefaultMQProducer(a.get("-p"), true, traceTopic);
        }
        producer.setNamesrvAddr(a.get("-n"));
        producer.start();
        Set<String> sent = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < count; i++) {
            Message msg = new Message(a.get("-t"), "TagT", "tkey" + i, ("traced " + i).getBytes(StandardCharsets.UTF_8));
            SendResult r = transactional ? producer.sendMessageInTransaction(msg, null) : producer.send(msg);
            sent.add(r.getMsgId());
            out.println("SEND " + r.getMsgId() + " " + r.getOffsetMsgId() + " " + r.getSendStatus());
        }
        while (!consumed.containsAll(sent) && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        out.println(consumed.containsAll(sent) ? "DONE" : "TIMEOUT");
        File stop = new File(a.get("--stop"));
        while (!stop.exists() && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        producer.shutdown();
        consumer.shutdown();
        System.exit(0);
    }
}
