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
import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionMQProducer;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * A TransactionMQProducer and a push consumer on one topic. Sends four transactions whose local outcome is
 * commit, rollback, unknown (the check answers commit) and unknown (the check answers rollback); once both
 * checks were answered it commits a "sentinel" and waits until the consumer has it. Log lines:
 *
 *   SENT <keys> <sendStatus> <msgId> <transactionId>
 *   CHECK <keys> <answer> <msgId> <transactionId>
 *   CONSUMED <keys> <msgId> <topic> <transactionIdProperty>
 *   DONE | TIMEOUT
 *
 * Options: -n NAMESRV -t TOPIC -p PRODUCER_GROUP -g CONSUMER_GROUP -o OUTFILE [--timeout S]
 */
public class OracleTransactions {
    static final Map<String, LocalTransactionState> LOCAL = new HashMap<>();
    static final Map<String, LocalTransactionState> CHECK = new HashMap<>();

    public static void main(String[] argv) throws Exception {
        Map<String, String> a = OracleArgs.parse(argv);
        final PrintStream out = OracleArgs.log(a);
        long deadline = System.currentTimeMillis() + 1000L * Integer.parseInt(a.getOrDefault("--timeout", "150"));
        LOCAL.put("commit", LocalTransactionState.COMMIT_MESSAGE);
        LOCAL.put("rollback", LocalTransactionState.ROLLBACK_MESSAGE);
        LOCAL.put("unknown-commit", LocalTransactionState.UNKNOW);
        LOCAL.put("unknown-rollback", LocalTransactionState.UNKNOW);
        LOCAL.put("sentinel", LocalTransactionState.COMMIT_MESSAGE);
        CHECK.put("unknown-commit", LocalTransactionState.COMMIT_MESSAGE);
        CHECK.put("unknown-rollback", LocalTransactionState.ROLLBACK_MESSAGE);
        final Set<String> checked = ConcurrentHashMap.newKeySet();
        final Set<String> consumed = ConcurrentHashMap.newKeySet();

        DefaultMQPushConsumer consumer = OracleArgs.subscribeAll(new DefaultMQPushConsumer(a.get("-g")), a);
        consumer.registerMessageListener(new MessageListenerConcurrently() {
            @Override
            public ConsumeConcurrentlyStatus consumeMessage(List<MessageExt> msgs, ConsumeConcurrentlyContext ctx) {
                for (MessageExt m : msgs) {
                    consumed.add(m.getKeys());
                    out.println("CONSUMED " + m.getKeys() + " " + m.getMsgId() + " " + m.getTopic() + " "
                        + m.getProperty("__transactionId__"));
                }
                return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            }
        });
        consumer.start();

        TransactionMQProducer producer = new TransactionMQProducer(a.get("-p"));
        producer.setNamesrvAddr(a.get("-n"));
        producer.setTransactionListener(new TransactionListener() {
            public LocalTransactionState executeLocalTransaction(Message msg, Object arg) {
                return LOCAL.get(msg.getKeys());
            }

            public LocalTransactionState checkLocalTransaction(MessageExt msg) {
                LocalTransactionState answer = CHECK.getOrDefault(msg.getKeys(), LocalTransactionState.UNKNOW);
                out.println("CHECK " + msg.getKeys() + " " + answer + " " + msg.getMsgId() + " " + msg.getTransactionId());
                checked.add(msg.getKeys());
                return answer;
            }
        });
        producer.start();
        for (String keys : new String[] {"commit", "rollback", "unknown-commit", "unknown-rollback"}) {
            send(producer, a.get("-t"), keys, out);
        }
        while (!(checked.contains("unknown-commit") && checked.contains("unknown-rollback"))
            && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        send(producer, a.get("-t"), "sentinel", out);
        while (!consumed.contains("sentinel") && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        out.println(consumed.contains("sentinel") ? "DONE" : "TIMEOUT");
        producer.shutdown();
        consumer.shutdown();
        System.exit(0);
    }

    static void send(TransactionMQProducer producer, String topic, String keys, PrintStream out) throws Exception {
        Message msg = new Message(topic, "TagTx", keys, ("body-" + keys).getBytes(StandardCharsets.UTF_8));
        SendResult r = producer.sendMessageInTransaction(msg, null);
        out.println("SENT " + keys + " " + r.getSendStatus() + " " + r.getMsgId() + " " + r.getTransactionId());
    }
}
